// EmbeddedStore (catalog/sqlite/embedded_store.h): the catalog keyspace in one SQLite database.
//
// Schema (version 1):
//   kv(key TEXT PRIMARY KEY, value TEXT NOT NULL, create_index INTEGER, mod_index INTEGER)
//   meta(name TEXT PRIMARY KEY, value)  rows: 'schema_version' = 1, 'index' = catalog index
// The catalog index lives in meta and is bumped in the same transaction as the writes, so
// the index on disk always matches the data on disk.
#include "catalog/sqlite/embedded_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <optional>
#include <utility>

namespace beacon::catalog {
namespace {

constexpr int64_t kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kCreateSchema =
    "CREATE TABLE kv(key TEXT PRIMARY KEY, value TEXT NOT NULL, create_index INTEGER NOT NULL,"
    " mod_index INTEGER NOT NULL);"
    "CREATE TABLE meta(name TEXT PRIMARY KEY, value);"
    "INSERT INTO meta(name, value) VALUES('schema_version', 1), ('index', 0);";

Error::Code code_for(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT ? Error::Code::corrupt : Error::Code::io;
}

Error make_error(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code_for(rc), std::move(msg)};
}

std::expected<void, Error> exec(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, sql));
  return {};
}

// Resets a cached statement when a use of it ends, however it ends.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) : s_(s) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  // Binds text without copying: the caller's string outlives the statement's use.
  void text(int i, std::string_view v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); }
  void int64(int i, uint64_t v) { sqlite3_bind_int64(s_, i, static_cast<sqlite3_int64>(v)); }
  int step() { return sqlite3_step(s_); }
  std::string column_text(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p == nullptr ? std::string() : std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  uint64_t column_u64(int i) { return static_cast<uint64_t>(sqlite3_column_int64(s_, i)); }

 private:
  sqlite3_stmt* s_;
};

// The smallest string greater than every string starting with `prefix`, or nullopt when there
// is none (empty prefix, or only 0xFF bytes).
std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

// Reads meta row `name` as an integer; nullopt when the row is missing. Used at open only.
std::expected<std::optional<int64_t>, Error> read_meta(sqlite3* db, const char* name) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = ?1", -1, &s, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, "not a beacon catalog"));
  std::optional<int64_t> out;
  {
    Use use(s);
    use.text(1, name);
    rc = use.step();
    if (rc == SQLITE_ROW) out = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(make_error(db, rc, "reading meta"));
  return out;
}

// Creates the schema in a new database or checks an existing one; returns the stored index.
std::expected<uint64_t, Error> init_schema(sqlite3* db) {
  if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto result = [&]() -> std::expected<uint64_t, Error> {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &s, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, "reading schema"));
    rc = sqlite3_step(s);
    int64_t objects = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return std::unexpected(make_error(db, rc, "reading schema"));
    if (objects == 0) {
      if (auto r = exec(db, kCreateSchema); !r) return std::unexpected(r.error());
      return 0;
    }
    auto version = read_meta(db, "schema_version");
    if (!version) return std::unexpected(Error{Error::Code::corrupt, version.error().message});
    if (*version != kSchemaVersion) {
      return std::unexpected(Error{Error::Code::corrupt, "not a beacon catalog of schema version 1"});
    }
    auto index = read_meta(db, "index");
    if (!index || !*index || **index < 0) return std::unexpected(Error{Error::Code::corrupt, "catalog index missing"});
    return static_cast<uint64_t>(**index);
  }();
  if (!result) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return result;
  }
  if (auto r = exec(db, "COMMIT"); !r) return std::unexpected(r.error());
  return result;
}

}  // namespace

struct EmbeddedStore::Statements {
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* get = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* update = nullptr;
  sqlite3_stmt* del = nullptr;
  sqlite3_stmt* range_to = nullptr;    // [prefix, successor)
  sqlite3_stmt* range_from = nullptr;  // [prefix, end)
  sqlite3_stmt* del_range_to = nullptr;
  sqlite3_stmt* del_range_from = nullptr;
  sqlite3_stmt* set_index = nullptr;
  sqlite3_stmt* savepoint = nullptr;
  sqlite3_stmt* release = nullptr;
  sqlite3_stmt* rollback_to = nullptr;

  ~Statements() {
    for (sqlite3_stmt* s : {begin, commit, rollback, get, insert, update, del, range_to, range_from, del_range_to,
                            del_range_from, set_index, savepoint, release, rollback_to}) {
      sqlite3_finalize(s);  // no-op for nullptr
    }
  }

  std::expected<void, Error> prepare(sqlite3* db) {
    const std::pair<sqlite3_stmt**, const char*> all[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&get, "SELECT value, create_index FROM kv WHERE key = ?1"},
        {&insert, "INSERT INTO kv(key, value, create_index, mod_index) VALUES(?1, ?2, ?3, ?3)"},
        {&update, "UPDATE kv SET value = ?2, mod_index = ?3 WHERE key = ?1"},
        {&del, "DELETE FROM kv WHERE key = ?1"},
        {&range_to, "SELECT key, value, create_index, mod_index FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key"},
        {&range_from, "SELECT key, value, create_index, mod_index FROM kv WHERE key >= ?1 ORDER BY key"},
        {&del_range_to, "DELETE FROM kv WHERE key >= ?1 AND key < ?2"},
        {&del_range_from, "DELETE FROM kv WHERE key >= ?1"},
        {&set_index, "UPDATE meta SET value = ?1 WHERE name = 'index'"},
        {&savepoint, "SAVEPOINT grp"},
        {&release, "RELEASE grp"},
        {&rollback_to, "ROLLBACK TO grp"},
    };
    for (const auto& [slot, sql] : all) {
      int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, nullptr);
      if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, sql));
    }
    return {};
  }
};

std::expected<std::unique_ptr<EmbeddedStore>, Error> EmbeddedStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Error e = make_error(db, rc, "opening " + path);
    e.code = Error::Code::io;
    sqlite3_close(db);
    return std::unexpected(e);
  }
  auto fail = [db](Error e) {
    sqlite3_close(db);
    return std::unexpected(std::move(e));
  };
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The first statement reads the file header: a file that is not SQLite fails here (NOTADB).
  // In-memory databases answer "memory" to the WAL request, which is fine.
  if (auto r = exec(db, "PRAGMA journal_mode=WAL"); !r) return fail(r.error());
  if (auto r = exec(db, "PRAGMA synchronous=FULL"); !r) return fail(r.error());
  // A big transaction (the first start with many config services) grows the WAL to its
  // size; cut it back when a checkpoint lets the WAL start over, so that the file, and the
  // scan of it after a crash, stay small.
  if (auto r = exec(db, "PRAGMA journal_size_limit=4194304"); !r) return fail(r.error());
  auto index = init_schema(db);
  if (!index) return fail(index.error());
  auto stmts = std::make_unique<Statements>();
  if (auto r = stmts->prepare(db); !r) {
    stmts.reset();  // finalize before closing
    return fail(r.error());
  }
  std::unique_ptr<EmbeddedStore> store(new EmbeddedStore(db, *index, path));
  store->stmts_ = std::move(stmts);
  return store;
}

EmbeddedStore::EmbeddedStore(sqlite3* db, uint64_t index, std::string path)
    : db_(db), index_(index), path_(std::move(path)) {}

EmbeddedStore::~EmbeddedStore() {
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_all();
    syncer_.join();  // syncs what is waiting first
  }
  if (wal_fd_ >= 0) ::close(wal_fd_);
  stmts_.reset();
  sqlite3_close(db_);
}

void EmbeddedStore::enable_deferred_sync(std::function<void(std::function<void()>)> post) {
  if (path_ == ":memory:" || post_) return;
  if (auto r = exec(db_, "PRAGMA synchronous=NORMAL"); !r) return;  // stays synchronous=FULL
  post_ = std::move(post);
  syncer_ = std::thread([this] { syncer_loop(); });
}

std::expected<void, Error> EmbeddedStore::sync_wal() {
  int fd;
  {
    std::lock_guard lock(sync_mu_);
    if (wal_fd_ < 0) {
      std::string wal = path_ + "-wal";
      wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) return std::unexpected(Error{Error::Code::io, "opening " + wal + ": " + std::strerror(errno)});
      // The WAL was created without a sync: make its directory entry durable too, once.
      std::string dir = std::filesystem::path(path_).parent_path().string();
      int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
      }
    }
    fd = wal_fd_;
  }
  if (::fdatasync(fd) != 0) {
    // A failed fsync may have dropped the dirty pages: a later one that succeeds proves
    // nothing about them. So the store takes no more writes (see sync_failed()).
    Error e{Error::Code::io, std::string("syncing the catalog's WAL failed (") + std::strerror(errno) +
                                 "); the store takes no more writes until the agent restarts"};
    std::lock_guard lock(sync_mu_);
    if (!sync_error_) sync_error_ = e;
    return std::unexpected(std::move(e));
  }
  return {};
}

std::optional<Error> EmbeddedStore::sync_failed() {
  std::lock_guard lock(sync_mu_);
  return sync_error_;
}

void EmbeddedStore::syncer_loop() {
  std::unique_lock lock(sync_mu_);
  while (true) {
    sync_cv_.wait(lock, [this] { return sync_stop_ || !sync_waiting_.empty(); });
    if (sync_waiting_.empty()) return;  // stopping, nothing left
    auto waiting = std::move(sync_waiting_);
    sync_waiting_.clear();
    lock.unlock();
    auto r = sync_wal();  // one fsync for every batch committed before it
    for (auto& w : waiting) w(r);
    lock.lock();
  }
}

void EmbeddedStore::commit_group_async(std::vector<std::vector<Op>> groups, Done done) {
  if (!post_) {
    done(commit_group(groups));
    return;
  }
  const uint64_t before = index_;
  auto results = commit_groups(groups, false);
  if (index_ == before) {  // nothing new to make durable
    done(std::move(results));
    return;
  }
  {
    std::lock_guard lock(sync_mu_);
    sync_waiting_.push_back([this, results = std::move(results), done = std::move(done)](
                                std::expected<void, Error> synced) mutable {
      if (!synced)
        for (auto& r : results)
          if (r) r = std::unexpected(synced.error());
      post_([results = std::move(results), done = std::move(done)]() mutable { done(std::move(results)); });
    });
  }
  sync_cv_.notify_one();
}

Error EmbeddedStore::sqlite_error(int rc) const { return make_error(db_, rc, "catalog store"); }

std::expected<std::vector<KeyValue>, Error> EmbeddedStore::scan(std::string_view prefix) {
  std::optional<std::string> end = prefix_successor(prefix);
  Use use(end ? stmts_->range_to : stmts_->range_from);
  use.text(1, prefix);
  if (end) use.text(2, *end);
  std::vector<KeyValue> out;
  int rc;
  while ((rc = use.step()) == SQLITE_ROW) {
    out.push_back(KeyValue{use.column_text(0), use.column_text(1), use.column_u64(2), use.column_u64(3)});
  }
  if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(rc));
  return out;
}

std::expected<void, Error> EmbeddedStore::apply(const Op& op, uint64_t next, std::vector<Event>& events) {
  if (op.kind == Op::Kind::del_prefix) {
    auto doomed = scan(op.key);
    if (!doomed) return std::unexpected(doomed.error());
    if (doomed->empty()) return {};
    std::optional<std::string> end = prefix_successor(op.key);
    Use use(end ? stmts_->del_range_to : stmts_->del_range_from);
    use.text(1, op.key);
    if (end) use.text(2, *end);
    if (int rc = use.step(); rc != SQLITE_DONE) return std::unexpected(sqlite_error(rc));
    for (KeyValue& kv : *doomed) events.push_back(Event{Event::Kind::del, KeyValue{std::move(kv.key), {}, 0, next}});
    return {};
  }

  // put and del both start from the key's current row, if any.
  std::optional<std::string> old_value;
  uint64_t create_index = next;
  {
    Use get(stmts_->get);
    get.text(1, op.key);
    int rc = get.step();
    if (rc == SQLITE_ROW) {
      old_value = get.column_text(0);
      create_index = get.column_u64(1);
    } else if (rc != SQLITE_DONE) {
      return std::unexpected(sqlite_error(rc));
    }
  }

  if (op.kind == Op::Kind::del) {
    if (!old_value) return {};  // deleting a missing key is not a change
    Use del(stmts_->del);
    del.text(1, op.key);
    if (int rc = del.step(); rc != SQLITE_DONE) return std::unexpected(sqlite_error(rc));
    events.push_back(Event{Event::Kind::del, KeyValue{op.key, {}, 0, next}});
    return {};
  }

  if (old_value == op.value) return {};  // identical put: not a change (see header)
  Use write(old_value ? stmts_->update : stmts_->insert);
  write.text(1, op.key);
  write.text(2, op.value);
  write.int64(3, next);
  if (int rc = write.step(); rc != SQLITE_DONE) return std::unexpected(sqlite_error(rc));
  events.push_back(Event{Event::Kind::put, KeyValue{op.key, op.value, create_index, next}});
  return {};
}

std::expected<uint64_t, Error> EmbeddedStore::commit(const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (op.key.empty()) {
      return std::unexpected(Error{Error::Code::invalid, op.kind == Op::Kind::del_prefix
                                                             ? "del_prefix with an empty prefix"
                                                             : "op with an empty key"});
    }
  }
  if (ops.empty()) return index_;
  if (auto failed = sync_failed()) return std::unexpected(std::move(*failed));

  const uint64_t next = index_ + 1;
  std::vector<Event> events;
  auto rollback = [this](Error e) {
    Use(stmts_->rollback).step();  // also fine when BEGIN itself failed: nothing to undo
    return std::unexpected(std::move(e));
  };
  if (int rc = Use(stmts_->begin).step(); rc != SQLITE_DONE) return rollback(sqlite_error(rc));
  for (const Op& op : ops) {
    if (auto r = apply(op, next, events); !r) return rollback(r.error());
  }
  if (events.empty()) {
    // Nothing changed: no new index, no fsync, no event.
    Use(stmts_->rollback).step();
    return index_;
  }
  {
    Use set(stmts_->set_index);
    set.int64(1, next);
    if (int rc = set.step(); rc != SQLITE_DONE) return rollback(sqlite_error(rc));
  }
  if (int rc = Use(stmts_->commit).step(); rc != SQLITE_DONE) return rollback(sqlite_error(rc));
  index_ = next;
  // Under deferred sync the commit did not wait for the disk: do it now. The watchers see the
  // commit either way (it is in the database), but the caller hears of a failed sync.
  std::expected<void, Error> synced;
  if (post_) synced = sync_wal();

  // A copy, so that a watcher may call watch() without invalidating the loop. Watchers must
  // not commit(): the others would then see the nested commit before this one.
  const std::vector<Watcher> watchers = watchers_;
  for (const Watcher& w : watchers) w(next, events);
  if (!synced) return std::unexpected(synced.error());
  return next;
}

std::vector<std::expected<uint64_t, Error>> EmbeddedStore::commit_group(const std::vector<std::vector<Op>>& groups) {
  return commit_groups(groups, true);
}

std::vector<std::expected<uint64_t, Error>> EmbeddedStore::commit_groups(const std::vector<std::vector<Op>>& groups,
                                                                        bool durable) {
  std::vector<std::expected<uint64_t, Error>> results(groups.size(), index_);
  auto valid = [](const std::vector<Op>& ops) {
    for (const Op& op : ops)
      if (op.key.empty()) return false;
    return true;
  };
  std::vector<std::pair<uint64_t, std::vector<Event>>> feed;  // per changing group
  uint64_t next = index_;
  auto fail_all = [&](Error e) {
    Use(stmts_->rollback).step();
    for (auto& r : results) r = std::unexpected(e);
    return results;
  };
  if (auto failed = sync_failed()) {
    for (auto& r : results) r = std::unexpected(*failed);
    return results;
  }
  if (int rc = Use(stmts_->begin).step(); rc != SQLITE_DONE) return fail_all(sqlite_error(rc));
  for (size_t i = 0; i < groups.size(); ++i) {
    if (!valid(groups[i])) {
      results[i] = std::unexpected(Error{Error::Code::invalid, "op with an empty key"});
      continue;
    }
    if (int rc = Use(stmts_->savepoint).step(); rc != SQLITE_DONE) return fail_all(sqlite_error(rc));
    std::vector<Event> events;
    std::optional<Error> failed;
    for (const Op& op : groups[i]) {
      if (auto r = apply(op, next + 1, events); !r) {
        failed = r.error();
        break;
      }
    }
    if (failed) Use(stmts_->rollback_to).step();  // undo this group only
    if (int rc = Use(stmts_->release).step(); rc != SQLITE_DONE) return fail_all(sqlite_error(rc));
    if (failed) {
      results[i] = std::unexpected(*failed);
    } else if (events.empty()) {
      results[i] = next;  // nothing changed: the index it is valid at
    } else {
      results[i] = ++next;
      feed.emplace_back(next, std::move(events));
    }
  }
  if (feed.empty()) {
    Use(stmts_->rollback).step();
    return results;
  }
  {
    Use set(stmts_->set_index);
    set.int64(1, next);
    if (int rc = set.step(); rc != SQLITE_DONE) return fail_all(sqlite_error(rc));
  }
  if (int rc = Use(stmts_->commit).step(); rc != SQLITE_DONE) return fail_all(sqlite_error(rc));
  index_ = next;
  std::expected<void, Error> synced;
  if (durable && post_) synced = sync_wal();
  const std::vector<Watcher> watchers = watchers_;
  for (const auto& [index, events] : feed)
    for (const Watcher& w : watchers) w(index, events);
  if (!synced)
    for (auto& r : results)
      if (r) r = std::unexpected(synced.error());
  return results;
}

std::expected<Range, Error> EmbeddedStore::range(std::string_view prefix) {
  auto kvs = scan(prefix);
  if (!kvs) return std::unexpected(kvs.error());
  return Range{index_, std::move(*kvs)};
}

void EmbeddedStore::watch(Watcher watcher) { watchers_.push_back(std::move(watcher)); }

}  // namespace beacon::catalog
