// A decoded DNS reply, as tests look at it: rcode, header flags and the records of each
// section in presentation form.
//
// Records are parsed with ldns, from a line of dig/kdig output (record_from_text) or from
// wire format (decode_wire, which uses ldns_wire2pkt), so both paths give the same text for
// the same record. Value types; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::test {

struct Record {
  std::string owner;  // as the reply spelled it, with the trailing dot: "web.service.consul."
  std::string type;   // "A", "SRV", "SOA", ...
  uint32_t ttl = 0;
  std::string rdata;  // the rdata fields in presentation form, one space apart

  // "owner ttl type rdata" with the owner in lower case: the form DnsCase compares.
  std::string str() const;
  // The rdata fields, split on spaces.
  std::vector<std::string> fields() const;
};

struct Message {
  uint16_t id = 0;
  std::string opcode;  // "QUERY", "STATUS", ...
  std::string rcode;   // "NOERROR", "NXDOMAIN", "FORMERR", "BADVERS", ... (with the EDNS bits)
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  std::string qname;   // the question name as echoed back; empty when there is no question
  std::string qtype;
  std::vector<Record> answer, authority, additional;
  bool edns = false;         // the reply carries an OPT record
  int edns_version = -1;     // its version, -1 without OPT
  int edns_ext_rcode = 0;    // the upper 8 bits of the rcode from the OPT TTL
  uint16_t edns_udp_size = 0;
  size_t size = 0;           // the message size in bytes (0 when the tool did not say)
};

// Parses one record in presentation form ("owner ttl class type rdata"), as dig and kdig
// print them. Returns nothing when ldns rejects the line.
std::optional<Record> record_from_text(std::string_view line);

// Decodes a wire-format message with ldns_wire2pkt. Returns nothing when ldns cannot parse it.
std::optional<Message> decode_wire(const uint8_t* data, size_t len);

// The mnemonic of an rcode (0..23), e.g. 3 -> "NXDOMAIN", 16 -> "BADVERS"; "RCODE<n>" otherwise.
std::string rcode_name(int rcode);

// The records of `type` in `records`, in order.
std::vector<Record> of_type(const std::vector<Record>& records, std::string_view type);
// The rdata of each record, sorted.
std::vector<std::string> sorted_rdata(const std::vector<Record>& records);
// Record::str() of each record, sorted.
std::vector<std::string> sorted_str(const std::vector<Record>& records);

}  // namespace beacon::test
