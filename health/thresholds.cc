// Consul agent/checks/check.go StatusHandler.updateCheck, without the logging.
#include "health/thresholds.h"

namespace beacon::health {

Thresholds::Thresholds(uint32_t success_before_passing, uint32_t failures_before_warning,
                       uint32_t failures_before_critical)
    : success_before_passing_(success_before_passing),
      failures_before_warning_(failures_before_warning == 0 ? failures_before_critical : failures_before_warning),
      failures_before_critical_(failures_before_critical) {}

std::optional<catalog::Health> Thresholds::observe(catalog::Health result) {
  using catalog::Health;
  if (result != Health::critical) {
    if (successes_ < UINT32_MAX) ++successes_;
    failures_ = 0;
    if (successes_ >= success_before_passing_) return result;
    return std::nullopt;
  }
  if (failures_ < UINT32_MAX) ++failures_;
  successes_ = 0;
  if (failures_ >= failures_before_critical_) return Health::critical;
  if (failures_ >= failures_before_warning_) return Health::warning;
  return std::nullopt;
}

}  // namespace beacon::health
