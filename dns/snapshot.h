// beacon::dns::SnapshotHolder: publishes immutable snapshots to reader threads.
//
// The writer (control thread) calls publish(); each reader thread keeps a Reader that
// caches a shared_ptr and re-fetches it only when the generation counter moved, so the
// steady-state cost of get() is one atomic load and no lock. A snapshot lives until its
// last reader lets go of it. publish() and Reader::get() may run concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace beacon::dns {

template <typename T>
class SnapshotHolder {
 public:
  void publish(std::shared_ptr<const T> snapshot) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ptr_ = std::move(snapshot);
    }
    generation_.fetch_add(1, std::memory_order_release);
  }

  std::shared_ptr<const T> load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ptr_;
  }

  uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // One per reader thread. REQUIRES: the holder outlives the reader and something has
  // been published before the first get().
  class Reader {
   public:
    explicit Reader(const SnapshotHolder& holder) : holder_(holder) {}
    const T& get() {
      uint64_t g = holder_.generation();
      if (g != seen_ || !cached_) {
        cached_ = holder_.load();
        seen_ = g;
      }
      return *cached_;
    }

   private:
    const SnapshotHolder& holder_;
    uint64_t seen_ = ~uint64_t{0};
    std::shared_ptr<const T> cached_;
  };

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> ptr_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace beacon::dns
