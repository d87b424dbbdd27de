// Test stack for the API: a MemoryStore, the agent's ChangeFeed following it, a
// real health::Engine with the agent's LocalChecks, and an api::Server on 127.0.0.1:0, all on one io_context run by a
// background thread. The test thread talks HTTP to it with a small synchronous Beast client
// and reads the store through on_io(), which runs a function on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/server.h"
#include "catalog/change_feed.h"
#include "catalog/memory_store.h"
#include "catalog/replica.h"
#include "catalog/writer.h"
#include "config/config.h"
#include "health/engine.h"
#include "health/local_checks.h"

namespace beacon::api::test {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const;
  uint64_t index() const;  // X-Consul-Index, 0 when absent
};

// One request on a fresh connection. `headers` are added as given.
HttpResult http(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});

config::Config test_config();

class Stack {
 public:
  explicit Stack(config::Config config = test_config());
  ~Stack();

  uint16_t port() const { return port_; }
  HttpResult get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return http(port_, "GET", target, "", headers);
  }
  HttpResult put(const std::string& target, const std::string& body = "",
                 const std::map<std::string, std::string>& headers = {}) {
    return http(port_, "PUT", target, body, headers);
  }

  // Runs `fn` on the io thread and returns its result.
  template <typename F>
  auto on_io(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto future = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return future.get();
  }
  uint64_t store_index() { return on_io([this] { return store_->index(); }); }
  size_t waiters() { return on_io([this] { return server_->blocking_waiters(); }); }
  void set_limits(const HttpLimits& limits) {
    on_io([&] {
      server_->set_limits(limits);
      return 0;
    });
  }
  void stop_server() { on_io([this] { server_->stop(); return 0; }); }

 private:
  config::Config config_;
  boost::asio::io_context io_;
  std::unique_ptr<catalog::MemoryStore> store_;
  catalog::ChangeFeed feed_;
  std::unique_ptr<catalog::Writer> writer_;
  std::unique_ptr<health::Engine> engine_;
  std::unique_ptr<health::LocalChecks> local_checks_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace beacon::api::test
