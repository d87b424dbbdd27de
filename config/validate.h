// Value checks of the config loader's own kinds of values: domains, datacenter names, CIDRs,
// recursors and etcd endpoints. The checks it shares with the API, the catalog and the health
// probes (addresses, host names, host:port, durations, meta pairs) are in base/.
//
// Every function is pure and thread-safe. Each returns the normalised value (or nothing) on
// success and, on failure, a short reason without file or key ("must be an IP address"), which
// the caller prefixes with its own context.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace beacon::config {

// Lower-cases `text`, strips one trailing dot and checks each label is 1..63 characters of
// [a-z0-9_-] and the whole name at most 253. Returns the normalised domain ("Consul." gives
// "consul"), or the reason it is invalid. An empty name is invalid.
std::expected<std::string, std::string> normalize_domain(std::string_view text);

// Checks a datacenter name (one DNS label, is_dns_label) and returns it in lower case, as
// Consul stores datacenter names ("East-1" gives "east-1").
std::expected<std::string, std::string> normalize_datacenter(std::string_view text);

// Checks a CIDR "addr/len" (IPv4 len 0..32, IPv6 0..128). Returns it with the host bits
// cleared and the address in canonical text form ("10.1.2.3/8" gives "10.0.0.0/8").
std::expected<std::string, std::string> normalize_cidr(std::string_view text);

// Checks a recursor address: "ip", "ip:port" or "[v6]:port" (a bare IPv6 literal is also
// accepted). The port, when given, must be 1..65535. Returns nothing on success.
std::expected<void, std::string> check_recursor(std::string_view text);

// Checks an etcd endpoint "http://HOST:PORT" or "https://HOST:PORT": HOST an IPv4 address,
// a bracketed IPv6 address or a host name (base::is_host_name); PORT 1..65535; nothing after the
// port but one optional '/'. User info ("user:pw@") is refused and never echoed. Returns the
// normalised form "scheme://host:port": scheme and host name in lower case, an IPv6 address in
// canonical text ("HTTP://[::0001]:02379/" gives "http://[::1]:2379").
std::expected<std::string, std::string> normalize_etcd_endpoint(std::string_view text);

// Checks an etcd key prefix: not empty, ends with '/', does not start with '/', and holds no
// ASCII whitespace or control characters. The reasons do not quote the value.
std::expected<void, std::string> check_etcd_prefix(std::string_view text);

}  // namespace beacon::config
