#include "dns/wire/response_writer.h"

namespace beacon::dns {

void ResponseWriter::start(uint16_t id, uint16_t flags, const uint8_t* question, size_t question_len) noexcept {
  w_.truncate(0);
  w_.u16(id);
  w_.u16(flags);
  w_.u16(question_len ? 1 : 0);
  w_.u16(0);
  w_.u16(0);
  w_.u16(0);
  w_.bytes(question, question_len);
}

void ResponseWriter::add_opt(uint16_t udp_size, uint16_t rcode) noexcept {
  size_t start = w_.size();
  w_.u8(0);  // root owner
  w_.u16(kTypeOpt);
  w_.u16(udp_size);
  w_.u8(static_cast<uint8_t>(rcode >> 4));  // extended rcode
  w_.u8(0);                                 // version
  w_.u16(0);                                // flags (DO clear: no DNSSEC here)
  w_.u16(0);                                // no options
  if (!w_.ok()) {
    w_.truncate(start);
    return;
  }
  ++counts_[static_cast<int>(Section::additional)];
}

size_t ResponseWriter::finish(uint16_t rcode) noexcept {
  uint8_t* d = w_.data();
  if (w_.size() < kHeaderSize) return 0;
  uint16_t flags = load_u16(d + 2);
  flags = static_cast<uint16_t>((flags & 0xFFF0) | (rcode & 0x0F));
  store_u16(d + 2, flags);
  store_u16(d + 6, counts_[0]);
  store_u16(d + 8, counts_[1]);
  store_u16(d + 10, counts_[2]);
  return w_.size();
}

}  // namespace beacon::dns
