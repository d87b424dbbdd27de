// beacon::dns wire format: DNS constants and a bounded big-endian writer.
//
// The DNS wire library (dns/wire/: this header, names, the query reader and encoder, the
// response writer) is the part of DNS that knows nothing about services or zones. It
// depends on the C++ standard library only, so that tools and tests can share it with dns/.
//
// Everything here is noexcept, allocation-free and safe on any input: a write that would
// pass the end of the buffer fails and leaves the writer marked as overflowed instead of
// writing. Thread-compatible value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace beacon::dns {

// Resource record types we answer or recognise.
enum RrType : uint16_t {
  kTypeA = 1,
  kTypeNs = 2,
  kTypeCname = 5,
  kTypeSoa = 6,
  kTypePtr = 12,
  kTypeMx = 15,
  kTypeTxt = 16,
  kTypeAaaa = 28,
  kTypeSrv = 33,
  kTypeOpt = 41,
  kTypeIxfr = 251,
  kTypeAxfr = 252,
  kTypeAny = 255,
};

enum Rcode : uint16_t {
  kRcodeNoError = 0,
  kRcodeFormErr = 1,
  kRcodeServFail = 2,
  kRcodeNxDomain = 3,
  kRcodeNotImp = 4,
  kRcodeRefused = 5,
  kRcodeBadVers = 16,  // extended: needs an OPT record to carry the upper bits
};

constexpr uint16_t kClassIn = 1;
constexpr uint16_t kClassAny = 255;
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;   // wire length including the root label
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxUdpPlain = 512;     // UDP payload without EDNS0
constexpr size_t kMaxMessage = 65535;

// Header flag bits (in the 16-bit flags word).
constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;
constexpr uint16_t kFlagRa = 0x0080;
constexpr uint16_t kFlagAd = 0x0020;
constexpr uint16_t kFlagCd = 0x0010;
constexpr uint16_t kOpcodeMask = 0x7800;
// The DNSSEC OK bit, in the flags half of an OPT record's TTL (RFC 3225).
constexpr uint16_t kEdnsDo = 0x8000;

inline uint16_t load_u16(const uint8_t* p) noexcept { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t load_u32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_u16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_u32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Appends to a caller-owned buffer of fixed capacity. Once a write does not fit, ok()
// becomes false and every later write is ignored, so callers check once at the end or use
// fits() to plan. The buffer must outlive the writer.
class WireWriter {
 public:
  WireWriter(uint8_t* buf, size_t capacity) noexcept : buf_(buf), cap_(capacity) {}

  size_t size() const noexcept { return pos_; }
  size_t capacity() const noexcept { return cap_; }
  size_t remaining() const noexcept { return cap_ - pos_; }
  bool ok() const noexcept { return ok_; }
  bool fits(size_t n) const noexcept { return ok_ && n <= cap_ - pos_; }
  uint8_t* data() noexcept { return buf_; }

  void u8(uint8_t v) noexcept {
    if (fits(1)) buf_[pos_++] = v;
    else ok_ = false;
  }
  void u16(uint16_t v) noexcept {
    if (fits(2)) { store_u16(buf_ + pos_, v); pos_ += 2; }
    else ok_ = false;
  }
  void u32(uint32_t v) noexcept {
    if (fits(4)) { store_u32(buf_ + pos_, v); pos_ += 4; }
    else ok_ = false;
  }
  void bytes(const void* p, size_t n) noexcept {
    if (fits(n)) { if (n) std::memcpy(buf_ + pos_, p, n); pos_ += n; }
    else ok_ = false;
  }
  void bytes(std::string_view s) noexcept { bytes(s.data(), s.size()); }
  // A compression pointer to `offset` (must be < 0x4000).
  void pointer(size_t offset) noexcept { u16(static_cast<uint16_t>(0xC000 | offset)); }
  // Overwrites a u16 already written at `at` (e.g. RDLENGTH, counts).
  void patch_u16(size_t at, uint16_t v) noexcept {
    if (at + 2 <= pos_) store_u16(buf_ + at, v);
  }
  // Drops everything after `size` (to undo a record that did not fit).
  void truncate(size_t size) noexcept {
    if (size <= pos_) { pos_ = size; ok_ = true; }
  }

 private:
  uint8_t* buf_;
  size_t cap_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace beacon::dns
