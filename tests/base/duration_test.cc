// parse_duration: Go/Consul duration syntax.
#include <catch2/catch.hpp>
#include <string>

#include "base/duration.h"

namespace beacon::base {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("parse_duration accepts Go duration strings", "[base][duration]") {
  struct Case {
    const char* text;
    Duration want;
  };
  const Case cases[] = {
      {"0", Duration{0}},
      {"+0", Duration{0}},
      {"0s", Duration{0}},
      {"500ms", milliseconds(500)},
      {"10s", seconds(10)},
      {"1m", minutes(1)},
      {"1h30m", hours(1) + minutes(30)},
      {"1.5s", milliseconds(1500)},
      {".5s", milliseconds(500)},
      {"5.s", seconds(5)},
      {"2h45m30.25s", hours(2) + minutes(45) + milliseconds(30250)},
      {"1500us", milliseconds(1)},         // rounded down
      {"1500\xC2\xB5s", milliseconds(1)},  // micro sign
      {"1500\xCE\xBCs", milliseconds(1)},  // Greek mu
      {"999999ns", milliseconds(0)},
      {"3000000ns", milliseconds(3)},
      {"1.0000000001s", milliseconds(1000)},
      {"87600h", hours(87600)},
      {"2562047h", hours(2562047)},  // just under Go's maximum
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto got = parse_duration(c.text);
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
}

TEST_CASE("parse_duration rejects garbage, negatives, missing units and overflow",
          "[base][duration]") {
  struct Case {
    const char* text;
    const char* reason;  // a substring of the message
  };
  const Case cases[] = {
      {"", "empty"},
      {"10", "missing unit"},
      {"1h30", "missing unit"},
      {"-5s", "negative"},
      {"-", "negative"},
      {"s", "expected a number"},
      {".s", "expected a number"},
      {"+", "missing number"},
      {"10x", "unknown unit \"x\""},
      {"10 s", "unknown unit \" s\""},
      {" 10s", "expected a number"},
      {"10S", "unknown unit \"S\""},
      {"1d", "unknown unit \"d\""},
      {"5s-", "unknown unit \"s-\""},
      {"2562048h", "out of range"},
      {"9999999999999999999s", "out of range"},
      {"99999999999999999999999ns", "out of range"},
      {"2562047h47m17s", "out of range"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto got = parse_duration(c.text);
    REQUIRE_FALSE(got.has_value());
    CHECK_THAT(got.error(), Catch::Contains(c.reason));
  }
}

}  // namespace
}  // namespace beacon::base
