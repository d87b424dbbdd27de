// beacon::dns::ResponseWriter: writes a response message record by record.
//
// Owns the header counts and the size budget of one reply. Every add_* call either writes
// the whole record within the budget and counts it, or writes nothing and returns false,
// so callers can stop at the first record that does not fit. Names are written as labels
// followed by a compression pointer or a full suffix. Used on the query path: noexcept and
// allocation-free. One writer per reply. Part of the DNS wire library (standard library only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/wire/wire.h"

namespace beacon::dns {

constexpr uint16_t kNoPointer = 0xFFFF;

// A name to write: `labels`, then either a pointer to `suffix_at` or, when that is
// kNoPointer, the wire name `suffix` (root byte included).
struct NameRef {
  std::string_view labels;
  uint16_t suffix_at = kNoPointer;
  std::string_view suffix;

  size_t wire_size() const noexcept { return labels.size() + (suffix_at != kNoPointer ? 2 : suffix.size()); }
};

enum class Section : uint8_t { answer, authority, additional };

class ResponseWriter {
 public:
  // `limit` is the size the reply must fit in (<= cap); `reserve` bytes are kept free for
  // an OPT record written last.
  ResponseWriter(uint8_t* out, size_t cap, size_t limit, size_t reserve) noexcept
      : w_(out, cap), limit_(limit < cap ? limit : cap), reserve_(reserve) {}

  size_t size() const noexcept { return w_.size(); }
  // Bytes still available for records before the reserve.
  size_t room() const noexcept {
    size_t used = w_.size() + reserve_;
    return used >= limit_ ? 0 : limit_ - used;
  }

  // Header with zero counts, then the question copied from the request.
  void start(uint16_t id, uint16_t flags, const uint8_t* question, size_t question_len) noexcept;
  void add_flags(uint16_t flags) noexcept {
    if (w_.size() >= kHeaderSize) store_u16(w_.data() + 2, load_u16(w_.data() + 2) | flags);
  }
  uint16_t count(Section s) const noexcept { return counts_[static_cast<int>(s)]; }
  // Grows or shrinks the reserve (bytes promised to records written later, such as the
  // additional records that go with SRV answers).
  void reserve_more(size_t n) noexcept { reserve_ += n; }
  void release(size_t n) noexcept { reserve_ = n < reserve_ ? reserve_ - n : 0; }

  // The writer's state at one point: rewind() drops every record written after it (to write
  // a section again in another order). Names never point past the mark, so nothing dangles.
  struct Mark {
    size_t size;
    size_t reserve;
    uint16_t counts[3];
  };
  Mark mark() const noexcept { return {w_.size(), reserve_, {counts_[0], counts_[1], counts_[2]}}; }
  void rewind(const Mark& m) noexcept {
    w_.truncate(m.size);
    reserve_ = m.reserve;
    for (int i = 0; i < 3; ++i) counts_[i] = m.counts[i];
  }

  // Generic record: owner, type, TTL and the rdata parts written by `rdata` (a callable
  // taking WireWriter&). Returns false (and writes nothing) when it does not fit.
  template <typename F>
  bool add(Section s, const NameRef& owner, uint16_t type, uint32_t ttl, F&& rdata) noexcept {
    size_t start = w_.size();
    write_name(owner);
    w_.u16(type);
    w_.u16(kClassIn);
    w_.u32(ttl);
    size_t rdlen_at = w_.size();
    w_.u16(0);
    rdata(w_);
    if (!w_.ok() || w_.size() + reserve_ > limit_ || w_.size() - rdlen_at - 2 > 0xFFFF) {
      w_.truncate(start);
      return false;
    }
    w_.patch_u16(rdlen_at, static_cast<uint16_t>(w_.size() - rdlen_at - 2));
    ++counts_[static_cast<int>(s)];
    return true;
  }

  bool add_address(Section s, const NameRef& owner, uint32_t ttl, uint8_t family, const uint8_t* addr) noexcept {
    return add(s, owner, family == 4 ? kTypeA : kTypeAaaa, ttl,
               [&](WireWriter& w) { w.bytes(addr, family == 4 ? 4 : 16); });
  }

  // Writes a name at the current position; returns its offset.
  size_t write_name(const NameRef& n) noexcept {
    size_t at = w_.size();
    w_.bytes(n.labels);
    if (n.suffix_at != kNoPointer) w_.pointer(n.suffix_at);
    else w_.bytes(n.suffix);
    return at;
  }

  // Appends an OPT record (in the additional section) with our UDP size and the upper
  // bits of `rcode`. Uses the reserve.
  void add_opt(uint16_t udp_size, uint16_t rcode) noexcept;

  // Writes the counts and the low rcode bits; returns the message size.
  size_t finish(uint16_t rcode) noexcept;

 private:
  WireWriter w_;
  size_t limit_;
  size_t reserve_;
  uint16_t counts_[3] = {0, 0, 0};
};

}  // namespace beacon::dns
