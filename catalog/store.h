// beacon::catalog::Store: the durable key/value store that holds the catalog.
//
// Both stores (the embedded SQLite store here, the etcd store later) hold the same keyspace
// (catalog/keyspace.h) with JSON values, assign every accepted write a new, strictly
// increasing index, and publish a change feed. A Store is used from one thread (the control
// thread); watchers are called on that thread, synchronously, after the commit is durable
// (or, under the embedded store's deferred sync, once it is committed: see embedded_store.h).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::catalog {

struct Error {
  enum class Code {
    io,           // the disk or the network failed; nothing was written
    corrupt,      // stored data could not be decoded
    invalid,      // the request itself is wrong (bad key, bad value)
    not_found,    // the thing to change does not exist
    unavailable,  // the store cannot take writes now (no quorum, closed)
  };
  Code code = Code::io;
  std::string message;
};

struct KeyValue {
  std::string key;
  std::string value;
  uint64_t create_index = 0;  // index of the write that created the key
  uint64_t mod_index = 0;     // index of the write that last changed it
};

// One part of an atomic write.
struct Op {
  enum class Kind { put, del, del_prefix };
  Kind kind = Kind::put;
  std::string key;    // for del_prefix: every key starting with this
  std::string value;  // for put
};

// One key changed by a commit. A del_prefix op turns into one del event per key removed.
struct Event {
  enum class Kind { put, del };
  Kind kind = Kind::put;
  KeyValue kv;  // for del: key and mod_index (the deleting write) only
};

// The result of reading a prefix: every key under it, at catalog index `index`.
struct Range {
  uint64_t index = 0;
  std::vector<KeyValue> kvs;  // sorted by key
};

// How recently the store was known to be reachable (for X-Consul-KnownLeader / LastContact).
struct Contact {
  bool known_leader = true;    // the last exchange with the store succeeded (etcd: it had a leader)
  uint64_t last_contact_ms = 0;  // milliseconds since the last successful exchange
};

class Store {
 public:
  virtual ~Store() = default;

  // Called after every successful commit with the commit's index and its events, in commit
  // order. Events for keys that did not change (a del of a missing key) are not sent.
  using Watcher = std::function<void(uint64_t index, const std::vector<Event>& events)>;

  // Applies `ops` as one transaction. Returns the new catalog index on success; on failure
  // nothing is applied and the Error says why. An empty `ops`, or ops that change nothing,
  // still succeed and return the current index without a new one.
  virtual std::expected<uint64_t, Error> commit(const std::vector<Op>& ops) = 0;

  // Group commit: applies each group of `groups` as its own atomic write with its own new
  // index (in order), but makes them durable together, with one sync to disk. A group that
  // fails changes nothing and gets its Error; the others still apply. Watchers see one call
  // per changing group, after all of them are durable. The default commits one by one.
  virtual std::vector<std::expected<uint64_t, Error>> commit_group(const std::vector<std::vector<Op>>& groups) {
    std::vector<std::expected<uint64_t, Error>> results;
    results.reserve(groups.size());
    for (const auto& ops : groups) results.push_back(commit(ops));
    return results;
  }

  // commit_group() without waiting: `done` gets the results on the store's owner thread.
  // A store whose writes go over the network (etcd) runs them on a thread of its own, so the
  // caller's event loop keeps serving meanwhile; the default commits at once and calls
  // `done` before returning. Watchers have seen the writes when `done` runs.
  using Done = std::function<void(std::vector<std::expected<uint64_t, Error>>)>;
  virtual void commit_group_async(std::vector<std::vector<Op>> groups, Done done) { done(commit_group(groups)); }

  // Reads every key starting with `prefix`, sorted by key, with the index they are valid at.
  virtual std::expected<Range, Error> range(std::string_view prefix) = 0;

  // Registers a watcher for the change feed. Watchers live as long as the Store.
  virtual void watch(Watcher watcher) = 0;

  // The index of the last successful commit (0 for an empty, new store).
  virtual uint64_t index() const = 0;

  // Reachability. A local store is always reachable.
  virtual Contact contact() const { return {}; }
};

}  // namespace beacon::catalog
