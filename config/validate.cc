// Value checks that need no TOML: domains, datacenter names, CIDRs, recursors, etcd endpoints.
#include "config/validate.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "base/address.h"

namespace beacon::config {

using base::is_dns_label;
using base::is_host_name;
using base::is_ip_literal;
using base::is_ipv4;
using base::is_ipv6;
using base::split_host_port;

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
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

std::expected<std::string, std::string> normalize_datacenter(std::string_view text) {
  if (!is_dns_label(text)) {
    return std::unexpected("\"" + std::string(text) + "\" must be 1..63 characters of [A-Za-z0-9-]");
  }
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

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
  if (!base::is_port(port)) return std::unexpected(std::string("port must be 1..65535"));
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
  if (!base::is_port(port)) return std::unexpected(std::string("port must be 1..65535"));
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

}  // namespace beacon::config
