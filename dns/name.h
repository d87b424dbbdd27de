// beacon::dns names: conversions between text and wire-format names, and the name forms
// beacon synthesises (<hex>.addr, reverse names).
//
// These run when the zone is built and in tests, not per query, so they return
// std::string. All functions are pure and thread-safe. "Labels" means a sequence of
// length-prefixed labels without the terminating root byte; a "wire name" ends with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::dns {

// ASCII lower-casing; other bytes unchanged (DNS compares case-insensitively in ASCII only).
inline uint8_t ascii_lower(uint8_t c) noexcept { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
std::string ascii_lower(std::string_view s);

// One length-prefixed label. nullopt when `label` is empty or over 63 bytes.
std::optional<std::string> make_label(std::string_view label);

// "a.b.c" (an optional trailing dot is ignored) to labels "\1a\1b\1c", lower-cased.
// nullopt when a label is empty or too long, or the result would not fit in 255 bytes.
std::optional<std::string> text_to_labels(std::string_view dotted);

// Labels (or a wire name) to dotted text with a trailing dot, e.g. "web.service.consul.".
// Bytes outside [A-Za-z0-9-_] are written as \DDD. Stops at the root byte or at the end.
std::string labels_to_text(std::string_view labels);

// An IP literal (v4 or v6) to 4 or 16 network-order bytes. nullopt when not an IP literal.
std::optional<std::string> parse_ip(std::string_view text);
// 4 or 16 bytes back to text ("10.0.0.1", "2001:db8::1").
std::string ip_to_text(std::string_view bytes);

// Address bytes to the lower-case hex label used in "<hex>.addr" names: 8 digits for IPv4,
// 32 for IPv6 (fully expanded, no colons).
std::string hex_address(std::string_view bytes);
// The inverse: 8 or 32 hex digits (either case) to 4 or 16 bytes; nullopt otherwise.
std::optional<std::string> parse_hex_address(std::string_view hex);

// Decodes the labels of a reverse name below in-addr.arpa (4 decimal labels, least
// significant first) or ip6.arpa (32 nibble labels) into address bytes. `labels` holds only
// the labels left of "in-addr.arpa"/"ip6.arpa", lower case; `v6` says which tree.
// nullopt for partial or malformed names.
std::optional<std::string> parse_reverse(std::string_view labels, bool v6);

}  // namespace beacon::dns
