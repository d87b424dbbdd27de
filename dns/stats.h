// beacon::dns::Stats: query counters by outcome, per thread, summed when read.
//
// Each server thread owns one Counters block and increments it without contention
// (relaxed atomics so that a reader on another thread sees sane values).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "dns/answer.h"

namespace beacon::dns {

constexpr size_t kOutcomeCount = static_cast<size_t>(Outcome::recurse) + 1;

struct alignas(64) Counters {
  std::array<std::atomic<uint64_t>, kOutcomeCount> by_outcome{};
  std::atomic<uint64_t> truncated{0};

  void count(const Result& r) noexcept {
    by_outcome[static_cast<size_t>(r.outcome)].fetch_add(1, std::memory_order_relaxed);
    if (r.truncated) truncated.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t total() const noexcept {
    uint64_t n = 0;
    for (const auto& c : by_outcome) n += c.load(std::memory_order_relaxed);
    return n;
  }
};

}  // namespace beacon::dns
