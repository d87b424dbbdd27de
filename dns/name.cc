#include "dns/name.h"

#include <arpa/inet.h>

#include <cstring>

#include "dns/wire/name.h"

namespace beacon::dns {

std::string name_labels(const std::string& name) {
  if (auto l = text_to_labels(name)) return *l;
  return make_label(ascii_lower(name.substr(0, 63))).value_or(std::string("\1_"));
}

std::string hex_address(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> parse_hex_address(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::optional<std::string> parse_reverse(std::string_view labels, bool v6) {
  // Collect the labels, least significant first as they appear.
  std::string_view parts[32];
  size_t n = 0;
  size_t i = 0;
  while (i < labels.size()) {
    size_t len = static_cast<uint8_t>(labels[i]);
    if (len == 0 || i + 1 + len > labels.size() || n == 32) return std::nullopt;
    parts[n++] = labels.substr(i + 1, len);
    i += 1 + len;
  }
  std::string out;
  if (!v6) {
    if (n != 4) return std::nullopt;
    out.resize(4);
    for (size_t k = 0; k < 4; ++k) {
      std::string_view p = parts[k];
      if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return std::nullopt;
      int v = 0;
      for (char c : p) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
      }
      if (v > 255) return std::nullopt;
      out[3 - k] = static_cast<char>(v);
    }
    return out;
  }
  if (n != 32) return std::nullopt;
  out.assign(16, '\0');
  for (size_t k = 0; k < 32; ++k) {
    if (parts[k].size() != 1) return std::nullopt;
    int v = hex_value(parts[k][0]);
    if (v < 0) return std::nullopt;
    size_t nibble = 31 - k;  // most significant nibble is the last label
    out[nibble / 2] = static_cast<char>(out[nibble / 2] | (nibble % 2 == 0 ? v << 4 : v));
  }
  return out;
}

}  // namespace beacon::dns
