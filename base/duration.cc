// parse_duration: Go's time.ParseDuration grammar, as Consul uses for every duration option.
//
// The value is accumulated in nanoseconds (as Go does, so the same strings overflow at the
// same ~292 years) and then rounded down to milliseconds.
#include "base/duration.h"

#include <cstdint>
#include <limits>

namespace beacon::base {
namespace {

struct Unit {
  std::string_view name;
  uint64_t nanos;
};

// A unit is matched exactly against the run of non-digits that follows a number.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek small letter mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

constexpr uint64_t kMaxNanos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string fail(std::string_view text, std::string_view what) {
  return std::string(what) + " in duration \"" + std::string(text) + "\"";
}

}  // namespace

std::expected<Duration, std::string> parse_duration(std::string_view text) {
  std::string_view rest = text;
  if (rest.empty()) return std::unexpected(std::string("empty duration"));
  if (rest.front() == '-') {
    if (rest == "-0") return Duration{0};
    return std::unexpected(fail(text, "negative value"));
  }
  if (rest.front() == '+') rest.remove_prefix(1);
  if (rest == "0") return Duration{0};
  if (rest.empty()) return std::unexpected(fail(text, "missing number"));

  uint64_t total = 0;
  while (!rest.empty()) {
    // Integer part, then an optional fraction; at least one digit overall.
    unsigned __int128 whole = 0;
    bool overflow = false;
    std::size_t i = 0;
    for (; i < rest.size() && is_digit(rest[i]); ++i) {
      whole = whole * 10 + static_cast<unsigned>(rest[i] - '0');
      if (whole > kMaxNanos) overflow = true;
    }
    bool any_digits = i > 0;
    unsigned __int128 frac = 0;
    unsigned __int128 scale = 1;
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      for (; i < rest.size() && is_digit(rest[i]); ++i) {
        any_digits = true;
        // Digits beyond nanosecond precision of an hour cannot change the result.
        if (scale < 1'000'000'000'000'000'000ULL) {
          frac = frac * 10 + static_cast<unsigned>(rest[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!any_digits) return std::unexpected(fail(text, "expected a number"));
    if (overflow) return std::unexpected(fail(text, "value out of range"));
    rest.remove_prefix(i);

    // The unit runs up to the next digit or '.'.
    std::size_t u = 0;
    while (u < rest.size() && !is_digit(rest[u]) && rest[u] != '.') ++u;
    std::string_view unit_name = rest.substr(0, u);
    if (unit_name.empty()) return std::unexpected(fail(text, "missing unit"));
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return std::unexpected(fail(text, "unknown unit \"" + std::string(unit_name) + "\""));
    }
    rest.remove_prefix(u);

    unsigned __int128 nanos = whole * unit->nanos + frac * unit->nanos / scale;
    if (nanos > kMaxNanos || total + nanos > kMaxNanos) {
      return std::unexpected(fail(text, "value out of range"));
    }
    total += static_cast<uint64_t>(nanos);
  }
  return Duration{static_cast<int64_t>(total / 1'000'000)};
}

}  // namespace beacon::base
