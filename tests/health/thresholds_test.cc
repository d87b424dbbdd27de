// The flap-damping state machine as tables: thresholds, a sequence of probe results, and
// what is published after each (nullopt: held back).
#include "health/thresholds.h"

#include <catch2/catch.hpp>
#include <optional>
#include <vector>

namespace beacon::health {
namespace {

using catalog::Health;
constexpr Health P = Health::passing, W = Health::warning, C = Health::critical;
const std::optional<Health> held = std::nullopt;

struct Case {
  const char* name;
  uint32_t success_before_passing, failures_before_warning, failures_before_critical;
  std::vector<Health> results;
  std::vector<std::optional<Health>> published;
};

}  // namespace

TEST_CASE("thresholds follow Consul's consecutive counts", "[thresholds]") {
  const Case cases[] = {
      {"no thresholds: every result at once", 0, 0, 0, {P, C, W, C, P}, {P, C, W, C, P}},
      {"failures_before_critical 1 is the same as 0", 0, 0, 1, {C, P}, {C, P}},
      {"success_before_passing 3", 3, 0, 0, {P, P, P, P}, {held, held, P, P}},
      {"a failure resets the success count", 2, 0, 0, {P, C, P, P}, {held, C, held, P}},
      {"warning results count as successes", 2, 0, 0, {W, W, P}, {held, W, P}},
      {"failures_before_critical 3, warning unset: no warning stage", 0, 0, 3, {C, C, C, C}, {held, held, C, C}},
      {"warning at 1, critical at 3", 0, 1, 3, {C, C, C, C}, {W, W, C, C}},
      {"warning at 2, critical at 3", 0, 2, 3, {C, C, C}, {held, W, C}},
      {"warning equal to critical", 0, 2, 2, {C, C}, {held, C}},
      {"a success resets the failure count", 0, 0, 2, {C, P, C, C}, {held, P, held, C}},
      {"both directions damped", 2, 1, 2, {C, C, P, P, C}, {W, C, held, P, W}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Thresholds t(c.success_before_passing, c.failures_before_warning, c.failures_before_critical);
      REQUIRE(c.results.size() == c.published.size());
      for (size_t i = 0; i < c.results.size(); ++i) {
        INFO("result #" << i);
        CHECK(t.observe(c.results[i]) == c.published[i]);
      }
    }
  }
}

}  // namespace beacon::health
