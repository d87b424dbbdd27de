// beacon::catalog::EmbeddedStore: the catalog's key/value store in SQLite.
//
// One table of (key, value, create_index, mod_index) and a one-row meta table with the
// catalog index, in `<data_dir>/catalog.db` with WAL journaling and synchronous=FULL, so a
// commit is on disk when commit() returns. Every commit is one SQLite transaction that bumps
// the index. open(":memory:") gives a private in-memory store (for `--dev` and tests).
// Used from one thread, and one process owns the file.
//
// Deferred sync (enable_deferred_sync, used by the agent): commit_group_async() commits
// without waiting for the disk (synchronous=NORMAL), lets the watchers see the writes at once,
// and hands the fsync of the WAL to a thread of the store's own; `done` runs (through the
// given post function) once the commit is on disk, and batches that commit while an fsync is
// under way share the next one. So the caller's thread builds views while the disk syncs,
// and a write is still durable before its caller hears it succeeded. commit() and
// commit_group() stay synchronous and durable (they fsync the WAL before their watchers run).
// After a power loss, what watchers saw but no caller was told may be gone. A failed sync
// fails the writes waiting on it and every later commit (the agent must restart).
//
// Commit details beyond the Store contract: ops apply in order inside one BEGIN IMMEDIATE
// transaction, each seeing the effect of the ones before it. A put whose value is identical
// to the stored one is not a change: it keeps the key's mod_index and sends no event, so a
// commit of only such puts returns the current index. A put or del with an empty key, or a
// del_prefix with an empty prefix, is Error{invalid} and nothing is applied. Any SQLite
// failure rolls the whole transaction back and returns Error{io} (Error{corrupt} when SQLite
// reports a damaged database) with SQLite's message.
#pragma once

#include <condition_variable>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/store.h"

struct sqlite3;

namespace beacon::catalog {

class EmbeddedStore final : public Store {
 public:
  // Opens (creating when missing) the database at `path`, or an in-memory one for
  // ":memory:". Error{io} when it cannot be opened or created, Error{corrupt} when the file
  // is not a beacon catalog. The directory must exist.
  static std::expected<std::unique_ptr<EmbeddedStore>, Error> open(const std::string& path);
  ~EmbeddedStore() override;

  std::expected<uint64_t, Error> commit(const std::vector<Op>& ops) override;
  // One SQLite transaction with a savepoint per group: one fsync for all of them.
  std::vector<std::expected<uint64_t, Error>> commit_group(const std::vector<std::vector<Op>>& groups) override;
  // With deferred sync, see above; otherwise commit_group() and `done` at once.
  void commit_group_async(std::vector<std::vector<Op>> groups, Done done) override;
  std::expected<Range, Error> range(std::string_view prefix) override;

  // Turns deferred sync on (a no-op for in-memory stores). `post` runs a function on the
  // thread that owns the store. Call once, before the first commit.
  void enable_deferred_sync(std::function<void(std::function<void()>)> post);
  void watch(Watcher watcher) override;
  uint64_t index() const override { return index_; }

 private:
  EmbeddedStore(sqlite3* db, uint64_t index, std::string path);
  struct Statements;  // prepared statements, cached for the life of the store

  // Applies one op inside the open transaction at index `next`, appending its events.
  std::expected<void, Error> apply(const Op& op, uint64_t next, std::vector<Event>& events);
  std::expected<std::vector<KeyValue>, Error> scan(std::string_view prefix);
  Error sqlite_error(int rc) const;
  // commit_group() without its fsync when `durable` is false; watchers run before it returns.
  std::vector<std::expected<uint64_t, Error>> commit_groups(const std::vector<std::vector<Op>>& groups, bool durable);
  // Under deferred sync: fsyncs the WAL (from any thread). Error{io} when it fails.
  std::expected<void, Error> sync_wal();
  // The error of the first failed sync, if one failed: from then on every commit fails with
  // it (the pages that sync lost are gone whatever a later sync says).
  std::optional<Error> sync_failed();
  void syncer_loop();

  sqlite3* db_;
  uint64_t index_;
  std::string path_;
  std::unique_ptr<Statements> stmts_;
  std::vector<Watcher> watchers_;

  // Deferred sync.
  std::function<void(std::function<void()>)> post_;  // empty: off
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::function<void(std::expected<void, Error>)>> sync_waiting_;  // after the next fsync
  bool sync_stop_ = false;
  std::optional<Error> sync_error_;  // under sync_mu_
  int wal_fd_ = -1;  // opened at the first sync (the WAL exists once something was committed)
  std::thread syncer_;
};

}  // namespace beacon::catalog
