// beacon::api::Server: the Consul-compatible HTTP API (Boost.Beast) on client_addr:ports.http.
//
// Registers, changes and removes services and checks through the catalog Writer (each write
// is durable before the response), reads from the Replica, drives TTL checks and reads live
// check output through the health Engine, and holds blocking queries (?index=&wait=) until
// the part of the catalog they read changes: notify() is called after every commit and wakes
// exactly the waiters whose part changed. A waiting request is a suspended coroutine and a
// timer: no polling. Runs on the control thread's io_context; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "catalog/replica.h"
#include "api/http_server.h"
#include "catalog/writer.h"
#include "config/config.h"
#include "health/engine.h"

namespace beacon::api {

// What the handlers work with. References must outlive the Server.
struct Context {
  std::function<const config::Config&()> config;  // the configuration in force (reloads replace it)
  catalog::Replica& replica;                       // this datacenter's catalog
  catalog::Writer& writer;
  health::Engine& health;
  std::string version;                             // for /v1/agent/self
};

class Server {
 public:
  // Binds address:port (port 0: ephemeral). Returns a message naming the address on failure.
  static std::expected<std::unique_ptr<Server>, std::string> bind(boost::asio::io_context& io,
                                                                   const std::string& address, uint16_t port,
                                                                   Context context);
  ~Server();

  uint16_t port() const;
  // Body limit and timeouts of the HTTP layer (defaults: 1 MiB, 30 s). Before start().
  void set_limits(const HttpLimits& limits);
  void start();
  // Stops accepting and ends waiting blocking queries.
  void stop();
  // After each catalog commit: records which services and nodes changed at `index` and
  // wakes the blocking queries that read them.
  void notify(uint64_t index, const catalog::Change& change);

  // Another datacenter followed read-only: catalog and health GETs with `?dc=<name>` are
  // answered from `replica` (which must outlive the Server), and notify_datacenter() wakes
  // their blocking queries. Writes with `?dc=<name>` still answer "No path to datacenter".
  void follow_datacenter(const std::string& name, catalog::Replica& replica);
  void notify_datacenter(const std::string& name, uint64_t index, const catalog::Change& change);

  // Blocking queries suspended right now (for tests and stats).
  size_t blocking_waiters() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::api
