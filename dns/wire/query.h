// beacon::dns queries on the wire: parse_query() reads a request message into a Query, with
// every length checked; encode_query() writes one, for clients (bench/, tests/support).
// Part of the DNS wire library (standard library only).
//
// parse_query() never reads outside [msg, msg+len), never allocates, and never loops on
// hostile input: the question name may not contain compression pointers (a first question
// has nothing before it to point at), and names in other sections are skipped with a hop
// limit. Thread-compatible: a Query is filled by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/wire/wire.h"

namespace beacon::dns {

// How a request is to be handled before any lookup.
enum class ParseStatus : uint8_t {
  ok,       // a well-formed standard query
  drop,     // not worth an answer: shorter than a header, or a response (QR set)
  formerr,  // the header was read but the rest is malformed
  notimp,   // an opcode other than QUERY
};

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;       // the request's flag word as received
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool has_question = false;  // the question parsed (it can be echoed in the reply)
  size_t question_end = 0;    // offset just past QTYPE/QCLASS in the request
  uint8_t qname_len = 0;      // wire length of the question name, root byte included
  // The question name in lower case, wire form; labels at label_off[0..label_count).
  uint8_t lower[256] = {};
  uint8_t label_count = 0;
  uint8_t label_off[128] = {};
  // EDNS0 (RFC 6891), from the OPT record if there was one.
  bool has_edns = false;
  uint8_t edns_version = 0;
  uint16_t edns_udp_size = 0;
  bool edns_do = false;
};

// Parses `msg`. On ok, every field is set. On formerr or notimp, `id`, `flags` and (when it
// could be read) the question are set, so a reply can echo them. On drop nothing is usable.
ParseStatus parse_query(const uint8_t* msg, size_t len, Query& q) noexcept;

// A query to put on the wire (for clients: the load generator, test tools).
struct QueryParams {
  uint16_t id = 0;
  uint16_t flags = 0;        // the whole flag word as sent (RD, opcode, even QR)
  std::string_view qname;    // dotted text, e.g. "web.service.consul"; a trailing dot is
                             // optional, "" and "." are the root; case is kept, no escapes
  uint16_t qtype = kTypeA;
  uint16_t qclass = kClassIn;
  bool edns = false;         // append an OPT record (RFC 6891) owned by the root
  uint16_t edns_udp_size = 1232;
  uint8_t edns_version = 0;
  bool edns_do = false;      // the DNSSEC OK bit
};

// The longest message encode_query() writes: header, a 255-byte name, QTYPE and QCLASS, OPT.
constexpr size_t kMaxQueryMessage = kHeaderSize + kMaxNameLength + 4 + 11;

// Writes `q` into out[0..cap) as a query message (QDCOUNT 1; ARCOUNT 1 with EDNS) and
// returns its size, or 0 when qname is not a valid name (an empty label, a label over 63
// bytes, over 255 bytes in all) or the message does not fit. Never allocates.
size_t encode_query(const QueryParams& q, uint8_t* out, size_t cap) noexcept;

}  // namespace beacon::dns
