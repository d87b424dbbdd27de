// beacon::catalog::EtcdStore: the catalog's key/value store in an etcd (3.4+) cluster.
//
// The same keyspace as the embedded store, under the same prefix, so `etcdctl get --prefix
// beacon/` shows the catalog. It speaks etcd's v3 JSON gateway over HTTP/1.1 (Boost.Beast);
// see catalog/README.md for why not gRPC. The catalog index is etcd's revision.
//
// Threads. commit() and range() block the calling (control) thread for at most the request
// timeout; commit_group_async() runs on a writer thread of the store's own and posts its
// results back, so the control thread never waits for it. Two more threads run the rest:
//  - the feed reads the watched prefix and then watches it; after a disconnect it resumes the
//    watch from the last revision it saw (another endpoint, with backoff), and when etcd has
//    compacted that revision away it re-reads the prefix and sends the difference as events.
//    So the watchers see one ordered stream of puts and deletes, whatever happened.
//  - the lease thread (when a liveness key is set) grants a lease, puts the liveness key
//    with it and keeps it alive every lease_ttl/3; an expired lease is granted anew.
// Watchers run on the control thread: the feed hands events over with `post`, and commit()
// waits (at most the request timeout) until the feed has seen its own revision and delivers
// the events up to it before it returns, so a writer reads its own write from the replica.
//
// Commit: ops become one etcd txn. A del_prefix is expanded into the keys it covers, read at
// revision R, and the txn carries a compare "nothing under the prefix changed since R"
// (retried when it did), because etcd refuses a txn that touches one key twice. Consecutive
// ops on the same key collapse into the last one. Errors: Error{unavailable} when no member
// answered or the cluster has no quorum (nothing was written), Error{invalid} when read-only.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/store.h"

namespace beacon::catalog {

class EtcdStore final : public Store {
 public:
  struct Options {
    std::vector<std::string> endpoints;
    std::string ca_file, cert_file, key_file;
    std::string username, password;
    std::chrono::milliseconds request_timeout{3000};
    std::chrono::milliseconds lease_ttl{10000};
    std::string watch_prefix;  // the keys the feed follows, e.g. "beacon/dc1/"
    std::string liveness_key;  // empty: no lease (a read-only follower of another datacenter)
    std::string liveness_value;
    bool read_only = false;    // commit() refuses
    std::string name = "etcd"; // how log lines name this store ("etcd", "etcd dc2")
  };
  // Runs `fn` on the control thread (boost::asio::post to its io_context).
  using Post = std::function<void(std::function<void()>)>;

  // Starts the feed and lease threads. Never fails for an unreachable cluster: the feed keeps
  // trying and logs when it connects.
  EtcdStore(Options options, Post post);
  ~EtcdStore() override;
  EtcdStore(const EtcdStore&) = delete;
  EtcdStore& operator=(const EtcdStore&) = delete;

  std::expected<uint64_t, Error> commit(const std::vector<Op>& ops) override;
  // On the store's writer thread (with its own connection); `done` is posted back.
  void commit_group_async(std::vector<std::vector<Op>> groups, Done done) override;
  std::expected<Range, Error> range(std::string_view prefix) override;
  void watch(Watcher watcher) override;
  uint64_t index() const override;
  Contact contact() const override;

  // Called on the control thread after the feed has (re)connected and caught up, and after
  // the lease was granted anew: the moment for an agent to re-assert what it owns.
  void on_resync(std::function<void()> fn);

  // Blocks until the feed has read the catalog once (true), or `timeout` passes (false).
  bool wait_synced(std::chrono::milliseconds timeout);

  // Stops the threads (also done by the destructor). Revokes nothing: the liveness key
  // outlives a restart shorter than the lease TTL.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace beacon::catalog
