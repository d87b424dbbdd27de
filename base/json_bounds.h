// beacon::base JSON bounds: the size and nesting limits every JSON input is held to before
// any recursive work is done on it.
//
// nlohmann's parser is iterative, but encoding, comparing and copying a value recurse once
// per nesting level, so a body of 100,000 nested objects (600 KB) would overflow the stack
// the moment anything re-encodes it. check_json_bounds scans the text once, without
// recursion or allocation, and parse_bounded refuses text that fails it. Every JSON parse in
// beacon goes through here (tests/lint/check_layering.sh holds the rest of the tree to it).
// Pure functions: safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::base {

struct JsonBounds {
  // Consul's bodies nest 4 levels at most (a check's Header map of lists); 64 leaves room
  // for anything a client stores while keeping recursion at a few kilobytes of stack.
  std::size_t max_depth = 64;
  // 0: no size limit here (the caller bounds the input some other way, as the HTTP
  // server's body limit does).
  std::size_t max_bytes = 0;
};

// Why `text` exceeds `bounds` ("JSON nested deeper than 64 levels", "JSON larger than N
// bytes"), or nullopt when it is within them. Strings (and escaped quotes in them) are
// skipped, so brackets inside a string do not count. Says nothing of whether the text is
// valid JSON: the parser decides that.
std::optional<std::string> check_json_bounds(std::string_view text, JsonBounds bounds = {});

// Json::parse without exceptions, refusing text outside `bounds`: a discarded value
// (is_discarded()) for text that is out of bounds or does not parse. Json is
// nlohmann::json; a template so that this header does not include it.
template <typename Json>
Json parse_bounded(std::string_view text, JsonBounds bounds = {}) {
  if (check_json_bounds(text, bounds)) return Json(Json::value_t::discarded);
  return Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace beacon::base
