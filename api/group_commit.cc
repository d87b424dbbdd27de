#include <utility>  // Boost 1.74's awaitable.hpp misses it

#include "api/group_commit.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace beacon::api {

namespace asio = boost::asio;

struct GroupCommitter::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : done(ex, asio::steady_timer::time_point::max()) {}
  std::vector<catalog::Op> ops;
  std::expected<uint64_t, catalog::Error> result = std::unexpected(catalog::Error{catalog::Error::Code::io, "not run"});
  bool finished = false;
  asio::steady_timer done;  // cancelled when the result is in
};

asio::awaitable<std::expected<uint64_t, catalog::Error>> GroupCommitter::commit(std::vector<catalog::Op> ops) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->ops = std::move(ops);
  queue_.push_back(waiter);
  if (!scheduled_) {
    // After the handlers that are already runnable: they join this batch.
    scheduled_ = true;
    asio::post(io_, [this] { flush(); });
  }
  boost::system::error_code ec;
  while (!waiter->finished) co_await waiter->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return std::move(waiter->result);
}

void GroupCommitter::flush() {
  scheduled_ = false;
  if (in_flight_) return;  // the batch in flight schedules the next one when it is done
  std::vector<std::shared_ptr<Waiter>> batch;
  batch.swap(queue_);
  if (batch.empty()) return;
  std::vector<std::vector<catalog::Op>> groups;
  groups.reserve(batch.size());
  for (auto& w : batch) groups.push_back(std::move(w->ops));
  ++batches_;
  writes_ += batch.size();
  in_flight_ = true;
  // The embedded store calls back at once; etcd's store from its writer thread, through the
  // io_context, while this loop goes on serving (new writes queue up for the next batch).
  store_.commit_group_async(std::move(groups), [this, batch = std::move(batch)](auto results) {
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = std::move(results[i]);
      batch[i]->finished = true;
      batch[i]->done.cancel();
    }
    in_flight_ = false;
    if (!queue_.empty() && !scheduled_) {
      scheduled_ = true;
      asio::post(io_, [this] { flush(); });
    }
  });
}

}  // namespace beacon::api
