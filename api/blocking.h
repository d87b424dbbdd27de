// beacon::api::Blocking: per-part catalog indexes and the waiters of blocking queries.
//
// Each read endpoint reads one part of the catalog: everything (list endpoints), one service
// name, or one node. Blocking tracks the index at which each part last changed, from the
// Change of every commit: a service change also changes the nodes that carry (or carried)
// it, a node change also changes the services on it (before and after), and Change.all
// changes everything. A blocking query (`?index=N&wait=D`) is a coroutine suspended on a
// steady_timer; notify() cancels the timers of exactly the waiters whose part changed, and a
// waiter whose part has not passed its index goes back to sleep until its deadline. No
// polling. Runs on one io_context; not thread-safe.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "catalog/replica.h"

namespace beacon::api {

// The part of the catalog a read endpoint reads.
struct Part {
  enum class Kind { all, service, node };
  Kind kind = Kind::all;
  std::string name;  // service name or node name; empty for all
  auto operator<=>(const Part&) const = default;
};

class Blocking {
 public:
  // Starts with every part at the replica's current index (at least 1).
  Blocking(boost::asio::io_context& io, const catalog::Replica& replica);
  ~Blocking();
  Blocking(const Blocking&) = delete;
  Blocking& operator=(const Blocking&) = delete;

  // The index at which `part` last changed; at least 1.
  uint64_t index(const Part& part) const;

  // Records a commit's change (the replica has already applied it) and wakes the waiters of
  // every part it changed.
  void notify(uint64_t index, const catalog::Change& change);

  // Completes when index(part) passes `client_index`, or after `wait` plus a random jitter
  // of up to wait/16, or at once when client_index is 0 or already behind. A client_index
  // ahead of the current index waits for the next change. After stop() it completes at once.
  boost::asio::awaitable<void> wait(Part part, uint64_t client_index, std::chrono::milliseconds wait);

  // Wakes every waiter for good; later waits complete at once.
  void stop();

  size_t waiting() const;  // suspended waiters, for tests and stats

 private:
  struct State;
  void bump(const Part& part, uint64_t index, std::set<Part>& changed);
  void rebuild_placement();

  std::shared_ptr<State> state_;  // shared with suspended waiters, which may outlive *this
  const catalog::Replica& replica_;
};

}  // namespace beacon::api
