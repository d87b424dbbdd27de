// beacon::catalog::ChangeFeed: the path a committed write takes to everything that follows
// one datacenter's catalog.
//
// It follows a Store's change feed, applies each commit to its Replica at once, and merges
// the changes of one event-loop turn into one Change that it hands to its subscribers (the
// zone publisher, the API's blocking queries, the local-check sync, ...) in the order they
// subscribed. A group commit of many writes therefore costs one zone build, not one per
// write; the flush is posted before the writers' replies resume, so a client that got its
// reply is answered from the new state. One ChangeFeed serves the local datacenter and one
// each followed datacenter. Control thread only (the thread `post` runs functions on, which
// is the thread the Store calls its watchers on); not thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <vector>

#include "catalog/keyspace.h"
#include "catalog/replica.h"
#include "catalog/store.h"

namespace beacon::catalog {

class ChangeFeed {
 public:
  // Runs a function later on the control thread (an io_context's post).
  using Post = std::function<void(std::function<void()>)>;
  // Gets every flushed change with the index of the last commit in it. The replica already
  // holds the change when a subscriber runs.
  using Subscriber = std::function<void(uint64_t index, const Change& change)>;

  ChangeFeed(Keyspace keyspace, Post post);
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  Replica& replica() { return replica_; }
  const Replica& replica() const { return replica_; }

  // Subscribers are called in the order they subscribed, each flush; a subscriber added
  // later sees changes from its first flush on. They must outlive the feed's store.
  void subscribe(Subscriber subscriber);

  // Reads the datacenter's keys from `store` into the replica, hands Change{all} to the
  // subscribers, and follows the store's change feed. For a store that can read its range
  // (the embedded store).
  std::expected<void, Error> load(Store& store);
  // Follows `store`'s change feed from an empty replica (etcd: the feed starts with the whole
  // catalog), and hands Change{all} to the subscribers now, so that their views exist before
  // the store answers.
  void follow(Store& store);

  // Hands what commits changed since the last flush to the subscribers now (no-op when
  // nothing did). Called by the posted flush, and by callers that need the views current at
  // once (after start-up writes).
  void flush();

 private:
  void on_commit(uint64_t index, const std::vector<Event>& events);
  void hand_out(uint64_t index, const Change& change);

  Replica replica_;
  Post post_;
  std::vector<Subscriber> subscribers_;
  Change pending_;
  uint64_t pending_index_ = 0;
  bool flush_scheduled_ = false;
};

}  // namespace beacon::catalog
