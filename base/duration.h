// beacon::base durations: Go's time.ParseDuration grammar, which Consul uses for every
// duration it reads (config options, check intervals and timeouts, `?wait=`).
//
// Pure functions: safe from any thread.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace beacon::base {

using Duration = std::chrono::milliseconds;

// Parses a sequence of decimal numbers, each with an optional fraction and a unit ("ns",
// "us", "µs", "ms", "s", "m", "h"), e.g. "500ms", "1.5s", "1h30m"; "0" alone is zero. Returns
// the duration rounded down to milliseconds, or the reason it is invalid, quoting the text
// ("unknown unit \"x\" in duration \"5x\""). Negative values are errors.
std::expected<Duration, std::string> parse_duration(std::string_view text);

}  // namespace beacon::base
