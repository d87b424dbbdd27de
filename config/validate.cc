// Value checks that need no TOML: names, addresses, CIDRs and meta pairs.
#include "config/validate.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace beacon::config {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Parses a decimal port 1..65535 with no sign and no leading garbage.
bool parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && value >= 1 && value <= 65535;
}

// Splits "host:port" or "[v6]:port". Returns false when there is no port separator.
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

bool is_ipv4(std::string_view text) {
  std::string s(text);
  in_addr addr{};
  return inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

bool is_ipv6(std::string_view text) {
  std::string s(text);
  in6_addr addr{};
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

}  // namespace

std::expected<std::string, std::string> normalize_domain(std::string_view text) {
  std::string name(text);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return std::unexpected(std::string("must not be empty"));
  if (name.size() > 253) return std::unexpected(std::string("is longer than 253 characters"));
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    std::string_view label(name.data() + start, dot - start);
    if (label.empty()) return std::unexpected(std::string("has an empty label"));
    if (label.size() > 63) {
      return std::unexpected("label \"" + std::string(label) + "\" is longer than 63 characters");
    }
    for (char c : label) {
      if (!is_alnum(c) && c != '-' && c != '_') {
        return std::unexpected("label \"" + std::string(label) +
                               "\" may only hold letters, digits, '-' and '_'");
      }
    }
    start = dot + 1;
  }
  return name;
}

bool is_dns_label(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_ip_literal(std::string_view text) { return is_ipv4(text) || is_ipv6(text); }

std::expected<std::string, std::string> normalize_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::unexpected(std::string("must be a CIDR block like \"10.0.0.0/8\""));
  }
  std::string addr_text(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len_text.empty() || ec != std::errc() || end != len_text.data() + len_text.size()) {
    return std::unexpected(std::string("has a bad prefix length"));
  }
  unsigned char bytes[16] = {};
  int family = AF_INET;
  unsigned max_len = 32;
  if (inet_pton(AF_INET, addr_text.c_str(), bytes) != 1) {
    family = AF_INET6;
    max_len = 128;
    if (inet_pton(AF_INET6, addr_text.c_str(), bytes) != 1) {
      return std::unexpected("\"" + addr_text + "\" is not an IP address");
    }
  }
  if (len > max_len) {
    return std::unexpected("prefix length " + std::to_string(len) + " is larger than " +
                           std::to_string(max_len));
  }
  // Clear the host bits so consumers can compare networks byte by byte.
  for (unsigned bit = len; bit < max_len; ++bit) {
    bytes[bit / 8] = static_cast<unsigned char>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, out, sizeof out);
  return std::string(out) + "/" + std::to_string(len);
}

std::expected<void, std::string> check_recursor(std::string_view text) {
  if (is_ip_literal(text)) return {};
  std::string_view host, port;
  bool bracketed = false;
  if (text.find(':') == std::string_view::npos) {
    return std::unexpected("\"" + std::string(text) + "\" is not an IP address");
  }
  if (!split_host_port(text, host, port, bracketed)) {
    return std::unexpected(std::string("must be \"ip\", \"ip:port\" or \"[ipv6]:port\""));
  }
  if (bracketed ? !is_ipv6(host) : !is_ipv4(host)) {
    return std::unexpected("\"" + std::string(host) + "\" is not an IP address");
  }
  if (!parse_port(port)) return std::unexpected(std::string("port must be 1..65535"));
  return {};
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
  if (!parse_port(port)) return std::unexpected(std::string("port must be 1..65535"));
  return {};
}

std::expected<void, std::string> check_meta_pair(std::string_view key, std::string_view value) {
  if (key.empty()) return std::unexpected(std::string("meta key must not be empty"));
  if (key.size() > kMaxMetaKeyLength) {
    return std::unexpected("meta key is longer than " + std::to_string(kMaxMetaKeyLength) +
                           " characters");
  }
  for (char c : key) {
    if (!is_alnum(c) && c != '-' && c != '_') {
      return std::unexpected(std::string("meta key may only hold letters, digits, '-' and '_'"));
    }
  }
  if (key.starts_with("consul-")) {
    return std::unexpected(std::string("meta key prefix \"consul-\" is reserved"));
  }
  if (value.size() > kMaxMetaValueLength) {
    return std::unexpected("meta value is longer than " + std::to_string(kMaxMetaValueLength) +
                           " characters");
  }
  return {};
}

}  // namespace beacon::config
