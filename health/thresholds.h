// beacon::health::Thresholds: flap damping for periodic checks, as Consul's StatusHandler.
//
// A check with success_before_passing = N publishes a passing (or warning) result only after
// N consecutive successes; failures_before_critical = M publishes critical only after M
// consecutive failures, and failures_before_warning = W (W <= M) publishes warning from the
// W-th consecutive failure until the M-th. W = 0 means "not set" and takes M's value, so a
// check with both 0 goes critical on its first failure. A success resets the failure count
// and a failure the success count. Pure and deterministic: no clock, no I/O.
#pragma once

#include <cstdint>
#include <optional>

#include "catalog/model.h"

namespace beacon::health {

class Thresholds {
 public:
  Thresholds() = default;
  Thresholds(uint32_t success_before_passing, uint32_t failures_before_warning, uint32_t failures_before_critical);

  // Feeds one probe result (passing and warning count as successes, critical as a failure).
  // Returns the status to publish now (which may equal the current one), or nullopt when the
  // result is held back by a threshold not yet reached.
  std::optional<catalog::Health> observe(catalog::Health result);

  uint32_t successes() const { return successes_; }
  uint32_t failures() const { return failures_; }

 private:
  uint32_t success_before_passing_ = 0;
  uint32_t failures_before_warning_ = 0;  // already defaulted to failures_before_critical_
  uint32_t failures_before_critical_ = 0;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
};

}  // namespace beacon::health
