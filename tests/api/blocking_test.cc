// Blocking queries: ?index=&wait= hold the request until its part changes or time runs out.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Waits until the server holds `n` blocking queries (they are registered asynchronously).
void await_waiters(Stack& s, size_t n) {
  auto deadline = Clock::now() + 5s;
  while (s.waiters() < n && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  REQUIRE(s.waiters() == n);
}

TEST_CASE("a blocking query returns on a change of its service, not of another", "[api][blocking]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  uint64_t index = s.get("/v1/health/service/web").index();
  auto start = Clock::now();
  auto pending = std::async(std::launch::async, [&] {
    return s.get("/v1/health/service/web?index=" + std::to_string(index) + "&wait=20s");
  });
  await_waiters(s, 1);

  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"db"})").status == 200);
  CHECK(pending.wait_for(300ms) == std::future_status::timeout);  // db is not web
  CHECK(s.waiters() == 1);

  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Port":8080})").status == 200);
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  auto r = pending.get();
  CHECK(r.status == 200);
  CHECK(r.index() > index);
  CHECK(r.json()[0]["Service"]["Port"] == 8080);
  CHECK(Clock::now() - start < 10s);
  CHECK(s.waiters() == 0);
}

TEST_CASE("a node change wakes the node's services and list endpoints wake on anything", "[api][blocking]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  uint64_t web = s.get("/v1/health/service/web").index();
  uint64_t all = s.get("/v1/catalog/services").index();
  auto on_web = std::async(std::launch::async, [&] {
    return s.get("/v1/health/service/web?index=" + std::to_string(web) + "&wait=20s");
  });
  auto on_list = std::async(std::launch::async, [&] {
    return s.get("/v1/catalog/nodes?index=" + std::to_string(all) + "&wait=20s");
  });
  await_waiters(s, 2);
  REQUIRE(s.put("/v1/agent/maintenance?enable=true").status == 200);  // a node-level check
  REQUIRE(on_web.wait_for(5s) == std::future_status::ready);
  REQUIRE(on_list.wait_for(5s) == std::future_status::ready);
  CHECK(on_web.get().index() > web);
  CHECK(on_list.get().index() > all);
}

TEST_CASE("a blocking query times out after wait, and index 0 or a past index returns at once", "[api][blocking]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  uint64_t index = s.get("/v1/catalog/service/web").index();

  auto start = Clock::now();
  auto r = s.get("/v1/catalog/service/web?index=" + std::to_string(index) + "&wait=1s");
  auto took = Clock::now() - start;
  CHECK(r.status == 200);
  CHECK(r.index() == index);
  CHECK(took >= 1s);
  CHECK(took < 1s + 1s / 16 + 500ms);

  start = Clock::now();
  CHECK(s.get("/v1/catalog/service/web?index=0&wait=10s").status == 200);
  CHECK(s.get("/v1/catalog/service/web?index=" + std::to_string(index - 1) + "&wait=10s").status == 200);
  CHECK(Clock::now() - start < 2s);
}

TEST_CASE("an index in the future waits for the next change", "[api][blocking]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  auto pending = std::async(std::launch::async, [&] { return s.get("/v1/health/service/web?index=999999&wait=20s"); });
  await_waiters(s, 1);
  CHECK(pending.wait_for(200ms) == std::future_status::timeout);
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Port":1})").status == 200);
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  CHECK(pending.get().status == 200);
}

TEST_CASE("many waiters cost no CPU and stop() ends them", "[api][blocking]") {
  Stack s;
  std::vector<std::future<HttpResult>> pending;
  for (int i = 0; i < 50; ++i) {
    pending.push_back(std::async(std::launch::async, [&, i] {
      return s.get("/v1/health/service/svc" + std::to_string(i % 5) + "?index=1&wait=30s");
    }));
  }
  await_waiters(s, 50);
  std::clock_t cpu0 = std::clock();
  std::this_thread::sleep_for(300ms);
  CHECK(static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC < 0.1);  // nobody polls
  s.stop_server();
  for (auto& p : pending) {
    REQUIRE(p.wait_for(5s) == std::future_status::ready);
    try {
      (void)p.get();  // the connection is closed while waiting: an error, or a 503
    } catch (const std::exception&) {
    }
  }
  CHECK(s.waiters() == 0);
}

TEST_CASE("a bad wait or index is a 400", "[api][blocking]") {
  Stack s;
  CHECK(s.get("/v1/catalog/services?index=1&wait=5x").status == 400);
  CHECK(s.get("/v1/catalog/services?index=abc").status == 400);
  CHECK(s.get("/v1/catalog/services?wait=-1s").status == 400);
}

}  // namespace
}  // namespace beacon::api::test
