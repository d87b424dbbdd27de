// beacon::dns names of beacon's own: the labels of a node name and the names
// beacon synthesises from addresses (the <hex> label of "<hex>.addr" names, reverse names
// below in-addr.arpa and ip6.arpa).
//
// Zone logic rather than wire format (the wire names themselves are in dns/wire/name.h).
// These run when the zone is built and in tests, not per query, so they return
// std::string. IP literals are parsed by base/address.h. All functions are pure and
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace beacon::dns {

// Labels for a name that may contain dots (node names); when it is not a valid DNS name, one
// label of its first 63 bytes, lower-cased ("\1_" for an empty name).
std::string name_labels(const std::string& name);

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
