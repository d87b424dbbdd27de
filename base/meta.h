// beacon::base meta pairs: Consul's limits on service and node `meta` (agent/structs
// ValidateMetadata), applied alike to the config file and to API registrations.
//
// Pure functions: safe from any thread.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace beacon::base {

inline constexpr std::size_t kMaxMetaPairs = 64;
inline constexpr std::size_t kMaxMetaKeyLength = 128;
inline constexpr std::size_t kMaxMetaValueLength = 512;

// Checks one meta pair: key 1..128 characters of [A-Za-z0-9_-], not starting with the
// reserved "consul-" prefix; value at most 512 characters.
std::expected<void, std::string> check_meta_pair(std::string_view key, std::string_view value);

}  // namespace beacon::base
