// beacon::api::GroupCommitter: many HTTP writes, one sync to disk.
//
// Handlers that write hand their ops over (Response::commit) instead of committing on the
// spot. The committer queues them and, once the event loop has run every handler that was
// ready, commits the whole queue with Store::commit_group: each request is still its own
// atomic write with its own index, but they share one fsync. Each waiting request resumes
// with its own result, and only then is its reply sent, so a reply still means "on disk".
// With one client the batch is one write; with many concurrent clients the batches grow on
// their own while the previous sync runs. The batch goes through Store::commit_group_async,
// so a networked store (etcd) does not hold up the event loop. Control thread only.
#pragma once

#include <utility>  // before awaitable.hpp: Boost 1.74 misses it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <expected>
#include <memory>
#include <vector>

#include "catalog/store.h"

namespace beacon::api {

class GroupCommitter {
 public:
  GroupCommitter(boost::asio::io_context& io, catalog::Store& store) : io_(io), store_(store) {}

  // Queues `ops` and resumes when they are durable (or failed). Returns the write's index.
  boost::asio::awaitable<std::expected<uint64_t, catalog::Error>> commit(std::vector<catalog::Op> ops);

  // How many commit_group calls and writes so far (for tests and stats).
  uint64_t batches() const { return batches_; }
  uint64_t writes() const { return writes_; }

 private:
  struct Waiter;
  void flush();

  boost::asio::io_context& io_;
  catalog::Store& store_;
  std::vector<std::shared_ptr<Waiter>> queue_;
  bool scheduled_ = false;
  bool in_flight_ = false;  // a batch is being committed (asynchronously)
  uint64_t batches_ = 0, writes_ = 0;
};

}  // namespace beacon::api
