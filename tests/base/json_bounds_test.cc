// base/json_bounds.h: depth and size limits, strings skipped, and parse_bounded refusing
// what would overflow the recursive encoder.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "base/json_bounds.h"

namespace beacon::base {
namespace {

std::string nested_objects(size_t depth) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

TEST_CASE("json bounds: depth up to the limit passes, one more fails", "[base][json]") {
  JsonBounds b{.max_depth = 8};
  CHECK_FALSE(check_json_bounds(nested_objects(8), b));
  auto why = check_json_bounds(nested_objects(9), b);
  REQUIRE(why);
  CHECK(*why == "JSON nested deeper than 8 levels");
  CHECK(check_json_bounds(std::string(9, '['), b));
  CHECK_FALSE(check_json_bounds("[[],[],[],[],[],[],[],[],[],[]]", b));  // siblings, not depth
}

TEST_CASE("json bounds: brackets inside strings do not count", "[base][json]") {
  JsonBounds b{.max_depth = 2};
  CHECK_FALSE(check_json_bounds(R"({"k":"[[[[{{{{"})", b));
  CHECK_FALSE(check_json_bounds(R"({"k":"a\"[[[[[[[\\"})", b));  // escaped quote stays inside
  CHECK(check_json_bounds(R"({"k":"\\",[[[[1]]]]})", b));     // an escaped backslash ends the string
}

TEST_CASE("json bounds: the size limit", "[base][json]") {
  CHECK_FALSE(check_json_bounds("[1,2,3]", {.max_bytes = 7}));
  auto why = check_json_bounds("[1,2,3] ", {.max_bytes = 7});
  REQUIRE(why);
  CHECK(*why == "JSON larger than 7 bytes");
}

TEST_CASE("json bounds: parse_bounded refuses 100,000 levels and parses the rest", "[base][json]") {
  using nlohmann::json;
  json deep = parse_bounded<json>(nested_objects(100000));
  CHECK(deep.is_discarded());
  json deep_array = parse_bounded<json>(std::string(100000, '[') + std::string(100000, ']'));
  CHECK(deep_array.is_discarded());
  json ok = parse_bounded<json>(R"({"Name":"x","Check":{"Header":{"X":["y"]}}})");
  REQUIRE(ok.is_object());
  CHECK(ok.dump() == R"({"Check":{"Header":{"X":["y"]}},"Name":"x"})");
  CHECK(parse_bounded<json>("{not json").is_discarded());
}

}  // namespace
}  // namespace beacon::base
