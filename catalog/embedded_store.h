// beacon::catalog::EmbeddedStore: the catalog's key/value store in SQLite.
//
// One table of (key, value, create_index, mod_index) and a one-row meta table with the
// catalog index, in `<data_dir>/catalog.db` with WAL journaling and synchronous=FULL, so a
// commit is on disk when commit() returns. Every commit is one SQLite transaction that bumps
// the index. open(":memory:") gives a private in-memory store (for `--dev` and tests).
// Used from one thread, and one process owns the file.
//
// Commit details beyond the Store contract: ops apply in order inside one BEGIN IMMEDIATE
// transaction, each seeing the effect of the ones before it. A put whose value is identical
// to the stored one is not a change: it keeps the key's mod_index and sends no event, so a
// commit of only such puts returns the current index. A put or del with an empty key, or a
// del_prefix with an empty prefix, is Error{invalid} and nothing is applied. Any SQLite
// failure rolls the whole transaction back and returns Error{io} (Error{corrupt} when SQLite
// reports a damaged database) with SQLite's message.
#pragma once

#include <expected>
#include <memory>
#include <string>

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
  std::expected<Range, Error> range(std::string_view prefix) override;
  void watch(Watcher watcher) override;
  uint64_t index() const override { return index_; }

 private:
  explicit EmbeddedStore(sqlite3* db, uint64_t index);
  struct Statements;  // prepared statements, cached for the life of the store

  // Applies one op inside the open transaction at index `next`, appending its events.
  std::expected<void, Error> apply(const Op& op, uint64_t next, std::vector<Event>& events);
  std::expected<std::vector<KeyValue>, Error> scan(std::string_view prefix);
  Error sqlite_error(int rc) const;

  sqlite3* db_;
  uint64_t index_;
  std::unique_ptr<Statements> stmts_;
  std::vector<Watcher> watchers_;
};

}  // namespace beacon::catalog
