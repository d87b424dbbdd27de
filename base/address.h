// beacon::base addresses and names: the checks for IP literals, host names, DNS labels and
// "host:port" targets that the config loader, the API, the catalog codec, the health probes
// and the zone builder all apply to the same kinds of values.
//
// Every function is pure and thread-safe. Checks that can fail with a reason return it as a
// short phrase without file or key ("port must be 1..65535"); the caller adds its context.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::base {

bool is_ipv4(std::string_view text);
bool is_ipv6(std::string_view text);
// True when `text` is an IPv4 or IPv6 literal (no brackets, no port, no zone).
bool is_ip_literal(std::string_view text);

// An IP literal (v4 or v6) to 4 or 16 network-order bytes; nullopt when not an IP literal.
std::optional<std::string> parse_ip(std::string_view text);
// 4 or 16 bytes back to text ("10.0.0.1", "2001:db8::1"); "" for any other length.
std::string ip_to_text(std::string_view bytes);

// True when `text` is one DNS-safe label: 1..63 characters of [A-Za-z0-9-].
bool is_dns_label(std::string_view text);

// True when `text` is a DNS host name (RFC 1123): at most 253 characters, dot-separated
// labels of 1..63 characters of [A-Za-z0-9-] that neither start nor end with '-', the last
// label not all digits (so "10.0.0.256" is not a host name). No trailing dot.
bool is_host_name(std::string_view text);

// True for a decimal port 1..65535 with no sign and nothing around it.
bool is_port(std::string_view text);

// Splits "host:port" or "[v6]:port" at the last ':' (after the ']' when bracketed). Returns
// false when there is no port separator. `bracketed` tells whether the host was in [].
bool split_host_port(std::string_view text, std::string_view& host, std::string_view& port,
                     bool& bracketed);

// Checks "host:port" ("[v6]:port" for IPv6) where host is non-empty and port is 1..65535.
// Used for tcp, udp and grpc check targets; `allow_path` accepts a "/service" suffix (grpc).
std::expected<void, std::string> check_host_port(std::string_view text, bool allow_path);

}  // namespace beacon::base
