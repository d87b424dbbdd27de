// Value checks shared by the config loader and by anything else that accepts the same values
// (for example a registration API that takes service meta or check definitions).
//
// Every function is pure and thread-safe. Each returns the normalised value (or nothing) on
// success and, on failure, a short reason without file or key ("must be an IP address"), which
// the caller prefixes with its own context.
#pragma once

#include <cstddef>
#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace beacon::config {

// Consul's limits on `meta` / `node_meta` (agent/structs ValidateMetadata).
inline constexpr std::size_t kMaxMetaPairs = 64;
inline constexpr std::size_t kMaxMetaKeyLength = 128;
inline constexpr std::size_t kMaxMetaValueLength = 512;

// Lower-cases `text`, strips one trailing dot and checks each label is 1..63 characters of
// [a-z0-9_-] and the whole name at most 253. Returns the normalised domain ("Consul." gives
// "consul"), or the reason it is invalid. An empty name is invalid.
std::expected<std::string, std::string> normalize_domain(std::string_view text);

// True when `text` is one DNS-safe label: 1..63 characters of [A-Za-z0-9-].
bool is_dns_label(std::string_view text);

// Checks a datacenter name (one DNS label, is_dns_label) and returns it in lower case, as
// Consul stores datacenter names ("East-1" gives "east-1").
std::expected<std::string, std::string> normalize_datacenter(std::string_view text);

// True when `text` is a DNS host name: at most 253 characters, dot-separated labels of
// 1..63 characters of [A-Za-z0-9-] that neither start nor end with '-', the last label not
// all digits (so "10.0.0.256" is not a host name). No trailing dot.
bool is_host_name(std::string_view text);

// True when `text` is an IPv4 or IPv6 literal (no brackets, no port, no zone).
bool is_ip_literal(std::string_view text);

// Checks a CIDR "addr/len" (IPv4 len 0..32, IPv6 0..128). Returns it with the host bits
// cleared and the address in canonical text form ("10.1.2.3/8" gives "10.0.0.0/8").
std::expected<std::string, std::string> normalize_cidr(std::string_view text);

// Checks a recursor address: "ip", "ip:port" or "[v6]:port" (a bare IPv6 literal is also
// accepted). The port, when given, must be 1..65535. Returns nothing on success.
std::expected<void, std::string> check_recursor(std::string_view text);

// Checks "host:port" ("[v6]:port" for IPv6) where host is non-empty and port is 1..65535.
// Used for tcp, udp and grpc check targets; `allow_path` accepts a "/service" suffix (grpc).
std::expected<void, std::string> check_host_port(std::string_view text, bool allow_path);

// Checks an etcd endpoint "http://HOST:PORT" or "https://HOST:PORT": HOST an IPv4 address,
// a bracketed IPv6 address or a host name (is_host_name); PORT 1..65535; nothing after the
// port but one optional '/'. User info ("user:pw@") is refused and never echoed. Returns the
// normalised form "scheme://host:port": scheme and host name in lower case, an IPv6 address in
// canonical text ("HTTP://[::0001]:02379/" gives "http://[::1]:2379").
std::expected<std::string, std::string> normalize_etcd_endpoint(std::string_view text);

// Checks an etcd key prefix: not empty, ends with '/', does not start with '/', and holds no
// ASCII whitespace or control characters. The reasons do not quote the value.
std::expected<void, std::string> check_etcd_prefix(std::string_view text);

// Checks one meta pair against Consul's rules: key 1..128 characters of [A-Za-z0-9_-], not
// starting with the reserved "consul-" prefix; value at most 512 characters.
std::expected<void, std::string> check_meta_pair(std::string_view key, std::string_view value);

}  // namespace beacon::config
