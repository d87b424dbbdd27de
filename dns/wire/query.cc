#include "dns/wire/query.h"

#include "dns/wire/name.h"
#include "dns/wire/wire.h"

namespace beacon::dns {
namespace {

// Skips a possibly compressed name starting at `pos`. Returns the offset after it, or 0
// when the name runs past the end or uses a reserved label type.
size_t skip_name(const uint8_t* msg, size_t len, size_t pos) noexcept {
  size_t total = 0;
  while (pos < len) {
    uint8_t b = msg[pos];
    if (b == 0) return pos + 1;
    if ((b & 0xC0) == 0xC0) return pos + 2 <= len ? pos + 2 : 0;  // a pointer ends the name
    if (b & 0xC0) return 0;
    total += b + 1u;
    if (total > kMaxNameLength) return 0;
    pos += 1u + b;
  }
  return 0;
}

// Reads the question name at offset 12 into q. Returns the offset after it, or 0.
size_t read_qname(const uint8_t* msg, size_t len, Query& q) noexcept {
  size_t pos = kHeaderSize;
  size_t out = 0;
  q.label_count = 0;
  while (true) {
    if (pos >= len) return 0;
    uint8_t b = msg[pos];
    if (b & 0xC0) return 0;  // compression or an extended label type in the first question
    if (out + 1u + b > kMaxNameLength) return 0;
    if (pos + 1u + b > len) return 0;
    if (b == 0) {
      q.lower[out++] = 0;
      q.qname_len = static_cast<uint8_t>(out);
      return pos + 1;
    }
    q.label_off[q.label_count++] = static_cast<uint8_t>(out);
    q.lower[out++] = b;
    for (size_t i = 0; i < b; ++i) q.lower[out++] = ascii_lower(msg[pos + 1 + i]);
    pos += 1u + b;
  }
}

// Writes dotted text as a wire name (case kept, root byte included). False, with the writer
// left part-written, when a label is empty or over 63 bytes or the name over 255 bytes.
bool write_text_name(WireWriter& w, std::string_view text) noexcept {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);  // "." is the root
  size_t total = 1;                                                 // the root byte
  for (bool more = !text.empty(); more;) {
    size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    more = dot != std::string_view::npos;
    if (more) text.remove_prefix(dot + 1);
    total += 1 + label.size();
    if (label.empty() || label.size() > kMaxLabelLength || total > kMaxNameLength) return false;
    w.u8(static_cast<uint8_t>(label.size()));
    w.bytes(label);
  }
  w.u8(0);
  return true;
}

}  // namespace

ParseStatus parse_query(const uint8_t* msg, size_t len, Query& q) noexcept {
  q.has_question = false;
  q.has_edns = false;
  q.edns_version = 0;
  q.edns_udp_size = 0;
  q.edns_do = false;
  if (len < kHeaderSize) return ParseStatus::drop;
  q.id = load_u16(msg);
  q.flags = load_u16(msg + 2);
  if (q.flags & kFlagQr) return ParseStatus::drop;
  uint16_t qdcount = load_u16(msg + 4);
  uint16_t ancount = load_u16(msg + 6);
  uint16_t nscount = load_u16(msg + 8);
  uint16_t arcount = load_u16(msg + 10);

  size_t pos = 0;
  if (qdcount >= 1) {
    pos = read_qname(msg, len, q);
    if (pos != 0 && pos + 4 <= len) {
      q.qtype = load_u16(msg + pos);
      q.qclass = load_u16(msg + pos + 2);
      pos += 4;
      q.question_end = pos;
      q.has_question = true;
    }
  }
  if (((q.flags & kOpcodeMask) >> 11) != 0) return ParseStatus::notimp;
  if (qdcount != 1 || !q.has_question) {
    q.has_question = qdcount == 1 && q.has_question;
    return ParseStatus::formerr;
  }

  // Answer and authority records are not expected in a query; skip them to find the OPT.
  for (uint32_t i = 0; i < uint32_t{ancount} + nscount; ++i) {
    pos = skip_name(msg, len, pos);
    if (pos == 0 || pos + 10 > len) return ParseStatus::formerr;
    size_t rdlen = load_u16(msg + pos + 8);
    pos += 10 + rdlen;
    if (pos > len) return ParseStatus::formerr;
  }
  for (uint16_t i = 0; i < arcount; ++i) {
    size_t name_at = pos;
    pos = skip_name(msg, len, pos);
    if (pos == 0 || pos + 10 > len) return ParseStatus::formerr;
    uint16_t type = load_u16(msg + pos);
    size_t rdlen = load_u16(msg + pos + 8);
    if (pos + 10 + rdlen > len) return ParseStatus::formerr;
    if (type == kTypeOpt) {
      // One OPT, owned by the root name (RFC 6891 6.1.1).
      if (q.has_edns || msg[name_at] != 0) return ParseStatus::formerr;
      q.has_edns = true;
      q.edns_udp_size = load_u16(msg + pos + 2);
      q.edns_version = msg[pos + 5];
      q.edns_do = (msg[pos + 6] & 0x80) != 0;
    }
    pos += 10 + rdlen;
  }
  return ParseStatus::ok;
}

size_t encode_query(const QueryParams& q, uint8_t* out, size_t cap) noexcept {
  WireWriter w(out, cap);
  w.u16(q.id);
  w.u16(q.flags);
  w.u16(1);               // QDCOUNT
  w.u16(0);               // ANCOUNT
  w.u16(0);               // NSCOUNT
  w.u16(q.edns ? 1 : 0);  // ARCOUNT
  if (!write_text_name(w, q.qname)) return 0;
  w.u16(q.qtype);
  w.u16(q.qclass);
  if (q.edns) {
    w.u8(0);                         // owner: the root
    w.u16(kTypeOpt);                 // TYPE
    w.u16(q.edns_udp_size);          // CLASS: the requester's UDP payload size
    w.u8(0);                         // TTL: extended rcode,
    w.u8(q.edns_version);            //      version,
    w.u16(q.edns_do ? kEdnsDo : 0);  //      DO and Z
    w.u16(0);                        // RDLENGTH: no options
  }
  return w.ok() ? w.size() : 0;
}

}  // namespace beacon::dns
