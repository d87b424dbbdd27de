// beacon::dns wire names: conversions between dotted text and wire-format labels.
//
// Part of the DNS wire library (standard library only). The byte form of ascii_lower() is
// used per query and is noexcept; the rest run when a zone is built and in tests, not per
// query, so they return std::string. All functions are pure and thread-safe. "Labels" means
// a sequence of length-prefixed labels without the terminating root byte; a "wire name"
// ends with it.
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

}  // namespace beacon::dns
