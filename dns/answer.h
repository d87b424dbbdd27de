// beacon::dns::answer: one request message in, one response message out, from a Zone.
//
// This is the whole DNS logic of the query path: parse, classify the name, look it up in
// the zone, shuffle, apply the answer caps, fit the reply to the transport's size and write
// it. An answer that does not fit whole is cut in a canonical order (not the shuffled one),
// so every cut of the same records is the same subset. It does no I/O, never throws, and
// after warm-up allocates nothing: all working memory is in the caller's per-thread Scratch.
// DNS outcomes are values (Outcome), not errors. Thread-safety: answer() may run on many
// threads at once over one Zone, each with its own Scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dns/wire/query.h"
#include "dns/zone.h"

namespace beacon::dns {

enum class Transport : uint8_t { udp, tcp };

enum class Outcome : uint8_t {
  answer,    // NOERROR with records in the answer section
  nodata,    // NOERROR, the name exists but has no record of the type
  nxdomain,  // the name does not exist, or no healthy instance is left
  refused,   // outside our domains (or a class we do not serve)
  formerr,
  notimp,
  badvers,
  dropped,   // nothing is sent
  recurse,   // outside our domains (or an unknown reverse name) and recursors are set: the
             // server forwards it or, for a client not allowed to recurse, answers REFUSED
};

// Per-thread working memory of the answer path. Reused across queries; it grows to the
// largest service seen and then stays.
struct Scratch {
  explicit Scratch(uint64_t seed = 0x9E3779B97F4A7C15ull) : rng(seed | 1) {}
  Query query;
  std::vector<uint32_t> order;      // candidate indexes, shuffled lazily
  std::vector<uint32_t> seen;       // target_id -> stamp of the query that wrote it
  std::vector<uint32_t> written;    // instance indexes written to the answer section
  std::vector<uint16_t> target_at;  // message offset of each written SRV target
  uint32_t stamp = 0;
  uint64_t rng;
  // A uniformly distributed index below n (n > 0).
  uint32_t random_below(uint32_t n) noexcept {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    uint64_t r = rng * 0x2545F4914F6CDD1Dull;
    return static_cast<uint32_t>((static_cast<unsigned __int128>(r >> 32) * n) >> 32);
  }
};

struct Result {
  size_t size = 0;  // bytes written to `out`; 0 with Outcome::dropped
  Outcome outcome = Outcome::dropped;
  bool truncated = false;  // records were dropped to fit (TC set when the settings allow)
};

// Answers the request in [req, req+len) into `out` (capacity `cap`, at least 512 bytes; a
// TCP reply needs up to 65535). Over UDP the reply fits 512 bytes, or the client's EDNS0
// size capped by ZoneSettings::max_udp_size (at least 512).
// REQUIRES: zone.settings is set.
Result answer(const Zone& zone, const uint8_t* req, size_t len, Transport transport, uint8_t* out, size_t cap,
              Scratch& scratch) noexcept;

// Writes a reply with no records to `req` (its ID, opcode, RD, CD and question, an OPT when
// the request had one) with `rcode` and RA set as given. Returns the size, or 0 when `req` has
// no readable header or `cap` is too small. For SERVFAIL and REFUSED outside the answer path.
size_t write_error_reply(const uint8_t* req, size_t len, uint16_t rcode, bool recursion_available, uint8_t* out,
                         size_t cap) noexcept;

}  // namespace beacon::dns
