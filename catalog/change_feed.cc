// ChangeFeed (catalog/change_feed.h): replica upkeep and per-turn coalescing of commits.
#include "catalog/change_feed.h"

#include <utility>

namespace beacon::catalog {

ChangeFeed::ChangeFeed(Keyspace keyspace, Post post) : replica_(std::move(keyspace)), post_(std::move(post)) {}

void ChangeFeed::subscribe(Subscriber subscriber) { subscribers_.push_back(std::move(subscriber)); }

std::expected<void, Error> ChangeFeed::load(Store& store) {
  auto range = store.range(replica_.keyspace().dc_prefix());
  if (!range) return std::unexpected(range.error());
  Change all = replica_.reset(*range);
  hand_out(replica_.index(), all);
  store.watch([this](uint64_t index, const std::vector<Event>& events) { on_commit(index, events); });
  return {};
}

void ChangeFeed::follow(Store& store) {
  store.watch([this](uint64_t index, const std::vector<Event>& events) { on_commit(index, events); });
  Change all;
  all.all = true;
  hand_out(replica_.index(), all);
}

void ChangeFeed::on_commit(uint64_t index, const std::vector<Event>& events) {
  Change change = replica_.apply(index, events);
  if (change.empty()) return;
  pending_.merge(std::move(change));
  pending_index_ = index;
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    post_([this] { flush(); });
  }
}

void ChangeFeed::flush() {
  flush_scheduled_ = false;
  if (pending_.empty()) return;
  Change change = std::move(pending_);
  pending_ = Change{};
  hand_out(pending_index_, change);
}

void ChangeFeed::hand_out(uint64_t index, const Change& change) {
  for (const Subscriber& s : subscribers_) s(index, change);
}

}  // namespace beacon::catalog
