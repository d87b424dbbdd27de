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

std::expected<std::string, std::string> normalize_datacenter(std::string_view text) {
  if (!is_dns_label(text)) {
    return std::unexpected("\"" + std::string(text) + "\" must be 1..63 characters of [A-Za-z0-9-]");
  }
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
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

std::expected<std::string, std::string> normalize_etcd_endpoint(std::string_view text) {
  const std::string form = "must be \"http://HOST:PORT\" or \"https://HOST:PORT\"";
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::unexpected(form);
  std::string scheme(text.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return std::unexpected(form);
  std::string_view rest = text.substr(sep + 3);
  // Checked first and without quoting anything: user info may hold a password.
  if (rest.find('@') != std::string_view::npos) {
    return std::unexpected(std::string("must not hold user info (\"user:password@\")"));
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return std::unexpected(std::string("nothing may follow the port but one '/'"));
  }
  if (rest.starts_with('[') && rest.find(']') == std::string_view::npos) {
    return std::unexpected(std::string("an IPv6 host is written \"[addr]:port\""));
  }
  std::string_view host, port;
  bool bracketed = false;
  if (!split_host_port(rest, host, port, bracketed)) {
    return std::unexpected(form + " (the port is required)");
  }
  if (host.empty()) return std::unexpected(form + " (the host is missing)");
  std::string host_out;
  if (bracketed) {
    std::string s(host);
    in6_addr addr{};
    if (inet_pton(AF_INET6, s.c_str(), &addr) != 1) {
      return std::unexpected("\"" + s + "\" is not an IPv6 address");
    }
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    host_out = "[" + std::string(buf) + "]";
  } else if (host.find(':') != std::string_view::npos) {
    return std::unexpected(std::string("write an IPv6 host as \"[addr]:port\""));
  } else if (is_ipv4(host)) {
    host_out = std::string(host);
  } else if (is_host_name(host)) {
    host_out = std::string(host);
    for (char& c : host_out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else {
    return std::unexpected("\"" + std::string(host) + "\" is not an IP address or host name");
  }
  if (!parse_port(port)) return std::unexpected(std::string("port must be 1..65535"));
  unsigned port_value = 0;
  std::from_chars(port.data(), port.data() + port.size(), port_value);
  return scheme + "://" + host_out + ":" + std::to_string(port_value);
}

std::expected<void, std::string> check_etcd_prefix(std::string_view text) {
  if (text.empty()) return std::unexpected(std::string("must not be empty"));
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return std::unexpected(std::string("must not hold whitespace or control characters"));
    }
  }
  if (text.front() == '/') return std::unexpected(std::string("must not start with '/'"));
  if (text.back() != '/') return std::unexpected(std::string("must end with '/'"));
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
