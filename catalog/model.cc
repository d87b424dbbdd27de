// Health names for the catalog model (catalog/model.h).
#include "catalog/model.h"

#include <string_view>

namespace beacon::catalog {

const char* health_name(Health h) {
  switch (h) {
    case Health::passing:
      return "passing";
    case Health::warning:
      return "warning";
    case Health::critical:
      return "critical";
  }
  // Unreachable for a valid enum value; an out-of-range cast is reported as the worst state.
  return "critical";
}

std::optional<Health> parse_health(std::string_view s) {
  if (s == "passing") return Health::passing;
  if (s == "warning") return Health::warning;
  if (s == "critical") return Health::critical;
  return std::nullopt;
}

}  // namespace beacon::catalog
