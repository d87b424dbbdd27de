// IP literals, host names and host:port targets.
#include "base/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace beacon::base {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// inet_pton needs a NUL-terminated string; no literal is longer than 63 bytes.
bool to_cstr(std::string_view text, char (&buf)[64]) {
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  return true;
}

}  // namespace

bool is_ipv4(std::string_view text) {
  char buf[64];
  in_addr addr{};
  return to_cstr(text, buf) && inet_pton(AF_INET, buf, &addr) == 1;
}

bool is_ipv6(std::string_view text) {
  char buf[64];
  in6_addr addr{};
  return to_cstr(text, buf) && inet_pton(AF_INET6, buf, &addr) == 1;
}

bool is_ip_literal(std::string_view text) { return is_ipv4(text) || is_ipv6(text); }

std::optional<std::string> parse_ip(std::string_view text) {
  char buf[64];
  if (!to_cstr(text, buf)) return std::nullopt;
  unsigned char bytes[16];
  if (inet_pton(AF_INET, buf, bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 4);
  if (inet_pton(AF_INET6, buf, bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 16);
  return std::nullopt;
}

std::string ip_to_text(std::string_view bytes) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (bytes.size() == 4) inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  else if (bytes.size() == 16) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool is_dns_label(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::string_view last;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    std::string_view label = text.substr(start, dot - start);
    if (!is_dns_label(label) || label.front() == '-' || label.back() == '-') return false;
    last = label;
    start = dot + 1;
  }
  // "10.0.0.256" is a mistyped address, not a name.
  for (char c : last) {
    if (c < '0' || c > '9') return true;
  }
  return false;
}

bool is_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && value >= 1 && value <= 65535;
}

bool split_host_port(std::string_view text, std::string_view& host, std::string_view& port,
                     bool& bracketed) {
  bracketed = false;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    bracketed = true;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    return true;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  return true;
}

std::expected<void, std::string> check_host_port(std::string_view text, bool allow_path) {
  if (allow_path) {
    // The service path follows the port: "host:port/pkg.Service".
    auto close = text.find(']');
    auto slash = text.find('/', close == std::string_view::npos ? 0 : close);
    if (slash != std::string_view::npos) text = text.substr(0, slash);
  }
  std::string_view host, port;
  bool bracketed = false;
  if (!split_host_port(text, host, port, bracketed) || host.empty()) {
    return std::unexpected(std::string("must be \"host:port\""));
  }
  if (bracketed && !is_ipv6(host)) {
    return std::unexpected("\"" + std::string(host) + "\" is not an IPv6 address");
  }
  if (!bracketed && host.find(':') != std::string_view::npos) {
    return std::unexpected(std::string("write an IPv6 host as \"[addr]:port\""));
  }
  if (!is_port(port)) return std::unexpected(std::string("port must be 1..65535"));
  return {};
}

}  // namespace beacon::base
