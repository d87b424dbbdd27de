// EmbeddedStore: indexes, change feed, atomicity, durability and corrupt files. The Store
// contract cases run against MemoryStore too, which must behave the same.
#include "catalog/sqlite/embedded_store.h"
#include "catalog/memory_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <type_traits>

#include "tests/support/temp_dir.h"

namespace beacon::catalog {
namespace {

using test::TempDir;

Op put(std::string key, std::string value) { return Op{Op::Kind::put, std::move(key), std::move(value)}; }
Op del(std::string key) { return Op{Op::Kind::del, std::move(key), {}}; }
Op del_prefix(std::string key) { return Op{Op::Kind::del_prefix, std::move(key), {}}; }

std::unique_ptr<EmbeddedStore> open_memory() {
  auto store = EmbeddedStore::open(":memory:");
  REQUIRE(store);
  return std::move(*store);
}

template <typename T>
std::unique_ptr<T> make_store() {
  if constexpr (std::is_same_v<T, EmbeddedStore>) {
    return open_memory();
  } else {
    return std::make_unique<T>();
  }
}

std::vector<std::string> keys_of(const Range& range) {
  std::vector<std::string> out;
  for (const KeyValue& kv : range.kvs) out.push_back(kv.key);
  return out;
}

TEMPLATE_TEST_CASE("a new store is empty at index 0", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  CHECK(store->index() == 0);
  auto range = store->range("");
  REQUIRE(range);
  CHECK(range->index == 0);
  CHECK(range->kvs.empty());
}

TEMPLATE_TEST_CASE("commits assign increasing indexes and keep create and mod index", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  CHECK(store->commit({put("a", "1"), put("b", "1")}) == 1u);
  CHECK(store->commit({put("a", "2")}) == 2u);
  CHECK(store->commit({put("c", "1")}) == 3u);
  CHECK(store->index() == 3);

  auto range = store->range("");
  REQUIRE(range);
  CHECK(range->index == 3);
  REQUIRE(range->kvs.size() == 3);
  CHECK(range->kvs[0].key == "a");
  CHECK(range->kvs[0].value == "2");
  CHECK(range->kvs[0].create_index == 1);
  CHECK(range->kvs[0].mod_index == 2);
  CHECK(range->kvs[1].create_index == 1);
  CHECK(range->kvs[1].mod_index == 1);
  CHECK(range->kvs[2].create_index == 3);

  // Deleting and re-creating a key gives it a new create index.
  CHECK(store->commit({del("a")}) == 4u);
  CHECK(store->commit({put("a", "3")}) == 5u);
  range = store->range("a");
  REQUIRE(range->kvs.size() == 1);
  CHECK(range->kvs[0].create_index == 5);
}

TEMPLATE_TEST_CASE("range and del_prefix cover exactly the prefix", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  REQUIRE(store->commit({put("p/a", "1"), put("p/b", "1"), put("p/b/c", "1"), put("p0", "1"), put("p.", "1"),
                         put("o", "1"), put("q", "1")}));
  auto range = store->range("p/");
  REQUIRE(range);
  CHECK(keys_of(*range) == std::vector<std::string>{"p/a", "p/b", "p/b/c"});
  CHECK(keys_of(*store->range("p")) == std::vector<std::string>{"p.", "p/a", "p/b", "p/b/c", "p0"});

  std::vector<Event> seen;
  store->watch([&](uint64_t, const std::vector<Event>& events) { seen = events; });
  CHECK(store->commit({del_prefix("p/")}) == 2u);
  CHECK(keys_of(*store->range("")) == std::vector<std::string>{"o", "p.", "p0", "q"});
  REQUIRE(seen.size() == 3);
  for (const Event& e : seen) {
    CHECK(e.kind == Event::Kind::del);
    CHECK(e.kv.mod_index == 2);
  }
  CHECK(seen[0].kv.key == "p/a");
  // A del_prefix that matches nothing is no change.
  CHECK(store->commit({del_prefix("p/")}) == 2u);
}

TEMPLATE_TEST_CASE("range handles 0xFF bytes at the end of a prefix", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  std::string ff = "k\xff";
  REQUIRE(store->commit({put(ff, "1"), put(ff + "\xff", "1"), put("l", "1"), put("k", "1")}));
  CHECK(keys_of(*store->range(ff)) == std::vector<std::string>{ff, ff + "\xff"});
}

TEMPLATE_TEST_CASE("an identical put or a missing delete is no change", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  int calls = 0;
  store->watch([&](uint64_t, const std::vector<Event>&) { ++calls; });
  REQUIRE(store->commit({put("a", "1")}) == 1u);
  CHECK(store->commit({put("a", "1")}) == 1u);
  CHECK(store->commit({del("missing")}) == 1u);
  CHECK(store->commit({}) == 1u);
  CHECK(calls == 1);
  auto range = store->range("a");
  CHECK(range->kvs[0].mod_index == 1);

  // In a mixed commit only the real change is an event.
  std::vector<Event> seen;
  store->watch([&](uint64_t, const std::vector<Event>& events) { seen = events; });
  CHECK(store->commit({put("a", "1"), put("b", "1")}) == 2u);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].kv.key == "b");
}

TEMPLATE_TEST_CASE("watchers get each commit's events after it is committed", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  std::vector<std::pair<uint64_t, std::vector<Event>>> feed;
  TestType* raw = store.get();
  store->watch([&](uint64_t index, const std::vector<Event>& events) {
    // The commit is visible to readers and the index already moved.
    CHECK(raw->index() == index);
    auto r = raw->range("");
    CHECK(r->index == index);
    feed.emplace_back(index, events);
  });
  REQUIRE(store->commit({put("a", "1"), put("b", "1")}));
  REQUIRE(store->commit({put("a", "2"), del("b")}));
  REQUIRE(feed.size() == 2);
  CHECK(feed[0].first == 1);
  REQUIRE(feed[0].second.size() == 2);
  CHECK(feed[0].second[0].kind == Event::Kind::put);
  CHECK(feed[0].second[0].kv.key == "a");
  CHECK(feed[0].second[0].kv.create_index == 1);
  CHECK(feed[1].first == 2);
  REQUIRE(feed[1].second.size() == 2);
  CHECK(feed[1].second[0].kv.value == "2");
  CHECK(feed[1].second[0].kv.create_index == 1);
  CHECK(feed[1].second[0].kv.mod_index == 2);
  CHECK(feed[1].second[1].kind == Event::Kind::del);
  CHECK(feed[1].second[1].kv.key == "b");
  CHECK(feed[1].second[1].kv.mod_index == 2);
}

TEMPLATE_TEST_CASE("an invalid op fails the whole commit", "[catalog][store]", EmbeddedStore, MemoryStore) {
  auto store = make_store<TestType>();
  REQUIRE(store->commit({put("a", "1")}));
  int calls = 0;
  store->watch([&](uint64_t, const std::vector<Event>&) { ++calls; });
  for (const Op& bad : {put("", "x"), del(""), del_prefix("")}) {
    auto r = store->commit({put("b", "1"), bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::invalid);
  }
  CHECK(store->index() == 1);
  CHECK(keys_of(*store->range("")) == std::vector<std::string>{"a"});
  CHECK(calls == 0);
}

TEST_CASE("an SQLite failure mid-commit rolls everything back", "[catalog][store]") {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  auto store = EmbeddedStore::open(path);
  REQUIRE(store);
  REQUIRE((*store)->commit({put("a", "1")}));
  {
    // Fault injection from a second connection: inserting key "boom" fails.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key = 'boom'"
                       " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  int calls = 0;
  (*store)->watch([&](uint64_t, const std::vector<Event>&) { ++calls; });
  auto r = (*store)->commit({put("a", "2"), put("b", "1"), put("boom", "1")});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::io);
  CHECK(r.error().message.find("injected failure") != std::string::npos);
  CHECK((*store)->index() == 1);
  auto range = (*store)->range("");
  REQUIRE(range);
  REQUIRE(keys_of(*range) == std::vector<std::string>{"a"});
  CHECK(range->kvs[0].value == "1");
  CHECK(calls == 0);
  // The store still works afterwards.
  CHECK((*store)->commit({put("b", "1")}) == 2u);
}

TEST_CASE("commits are durable across reopen", "[catalog][store]") {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  std::vector<KeyValue> before;
  {
    auto store = EmbeddedStore::open(path);
    REQUIRE(store);
    REQUIRE((*store)->commit({put("beacon/dc1/nodes/a", R"({"Node":"a"})"), put("beacon/dc1/nodes/b", "{}")}));
    REQUIRE((*store)->commit({put("beacon/dc1/nodes/a", R"({"Node":"a2"})"), del("beacon/dc1/nodes/b")}));
    REQUIRE((*store)->commit({put("other", "x")}));
    before = (*store)->range("")->kvs;
    CHECK((*store)->index() == 3);
  }
  auto store = EmbeddedStore::open(path);
  REQUIRE(store);
  CHECK((*store)->index() == 3);
  auto range = (*store)->range("");
  REQUIRE(range);
  CHECK(range->index == 3);
  REQUIRE(range->kvs.size() == before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK(range->kvs[i].key == before[i].key);
    CHECK(range->kvs[i].value == before[i].value);
    CHECK(range->kvs[i].create_index == before[i].create_index);
    CHECK(range->kvs[i].mod_index == before[i].mod_index);
  }
  CHECK((*store)->commit({put("more", "y")}) == 4u);
}

TEST_CASE("opening something that is not a beacon catalog fails", "[catalog][store]") {
  TempDir dir;
  SECTION("a text file is corrupt") {
    std::string path = dir.file("catalog.db");
    std::ofstream(path) << "this is not an SQLite database, it is a text file of some length\n";
    auto r = EmbeddedStore::open(path);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::corrupt);
  }
  SECTION("another application's SQLite database is corrupt") {
    std::string path = dir.file("other.db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto r = EmbeddedStore::open(path);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::corrupt);
  }
  SECTION("a missing directory is io") {
    auto r = EmbeddedStore::open(dir.file("missing/catalog.db"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::io);
  }
}

}  // namespace
}  // namespace beacon::catalog

namespace beacon::catalog {
namespace {

TEST_CASE("commit_group: each group is its own write with its own index, one transaction", "[catalog][store]") {
  auto store = std::move(*EmbeddedStore::open(":memory:"));
  std::vector<std::pair<uint64_t, size_t>> seen;  // (index, events) per watcher call
  store->watch([&](uint64_t index, const std::vector<Event>& events) { seen.emplace_back(index, events.size()); });
  REQUIRE(store->commit({Op{Op::Kind::put, "k0", "v"}}).value() == 1);
  seen.clear();
  auto results = store->commit_group({
      {Op{Op::Kind::put, "a", "1"}, Op{Op::Kind::put, "b", "2"}},
      {Op{Op::Kind::put, "c", "3"}, Op{Op::Kind::put, "", "bad"}},  // invalid: nothing of it applies
      {Op{Op::Kind::put, "k0", "v"}},                               // identical: no change
      {Op{Op::Kind::del, "a", ""}},
  });
  REQUIRE(results.size() == 4);
  CHECK(results[0].value() == 2);
  CHECK_FALSE(results[1].has_value());
  CHECK(results[1].error().code == Error::Code::invalid);
  CHECK(results[2].value() == 2);
  CHECK(results[3].value() == 3);
  CHECK(store->index() == 3);
  CHECK(seen == std::vector<std::pair<uint64_t, size_t>>{{2, 2}, {3, 1}});
  auto range = store->range("");
  std::vector<std::string> keys;
  for (const KeyValue& kv : range->kvs) keys.push_back(kv.key);
  CHECK(keys == std::vector<std::string>{"b", "k0"});
}

}  // namespace
}  // namespace beacon::catalog

namespace beacon::catalog {
namespace {

// The agent's mode: group commits are seen by watchers at once and acknowledged (through the
// owner's event loop) only after the store's thread has synced the WAL.
TEST_CASE("deferred sync: watchers see a group commit at once, done comes through post after the sync",
          "[catalog][store]") {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    auto opened = EmbeddedStore::open(path);
    REQUIRE(opened);
    auto& store = **opened;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::function<void()>> posted;
    store.enable_deferred_sync([&](std::function<void()> fn) {
      std::lock_guard lock(mu);
      posted.push_back(std::move(fn));
      cv.notify_all();
    });
    auto run_posted = [&](size_t n) {
      std::unique_lock lock(mu);
      REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return posted.size() >= n; }));
      auto fns = std::move(posted);
      posted.clear();
      lock.unlock();
      for (auto& fn : fns) fn();
    };
    std::vector<uint64_t> seen;
    store.watch([&](uint64_t index, const std::vector<Event>&) { seen.push_back(index); });

    std::vector<std::expected<uint64_t, Error>> results;
    bool done = false;
    store.commit_group_async({{put("k/a", "1")}, {put("k/b", "2")}, {}}, [&](auto r) {
      results = std::move(r);
      done = true;
    });
    CHECK(seen == std::vector<uint64_t>{1, 2});  // the watchers did not wait for the disk
    CHECK_FALSE(done);                           // the caller does
    run_posted(1);
    REQUIRE(done);
    REQUIRE(results.size() == 3);
    CHECK(results[0] == 1u);
    CHECK(results[1] == 2u);
    CHECK(results[2] == 2u);  // an empty group: the index it is valid at

    // A synchronous commit while a group's sync is under way stays durable and ordered.
    done = false;
    store.commit_group_async({{put("k/c", "3")}}, [&](auto r) {
      results = std::move(r);
      done = true;
    });
    CHECK(store.commit({put("k/d", "4")}) == 4u);
    run_posted(1);
    REQUIRE(done);
    CHECK(results[0] == 3u);
    CHECK(seen == std::vector<uint64_t>{1, 2, 3, 4});

    // Nothing changed: nothing to sync, done at once.
    done = false;
    store.commit_group_async({{put("k/a", "1")}}, [&](auto r) {
      results = std::move(r);
      done = true;
    });
    CHECK(done);
    CHECK(results[0] == 4u);
  }
  auto reopened = EmbeddedStore::open(path);
  REQUIRE(reopened);
  CHECK((*reopened)->index() == 4);
  CHECK(keys_of(*(*reopened)->range("k/")) == std::vector<std::string>{"k/a", "k/b", "k/c", "k/d"});
}

}  // namespace
}  // namespace beacon::catalog
