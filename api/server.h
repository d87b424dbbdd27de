// beacon::api::Server: the Consul-compatible HTTP API (Boost.Beast) on client_addr:ports.http.
//
// Registers, changes and removes services and checks through the catalog Writer (each write
// is durable before the response), reads from the Replica, drives TTL checks and reads live
// check output through the health Engine, and holds blocking queries (?index=&wait=) until
// the part of the catalog they read changes: the server follows the datacenter's ChangeFeed
// and each flushed change wakes exactly the waiters whose part changed. A waiting request is a suspended coroutine and a
// timer: no polling. Runs on the control thread's io_context; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "api/http_server.h"
#include "catalog/change_feed.h"
#include "catalog/replica.h"
#include "catalog/writer.h"
#include "config/config.h"
#include "health/engine.h"

namespace beacon::api {

// What the handlers work with. References must outlive the Server.
struct Context {
  std::function<const config::Config&()> config;  // the configuration in force (reloads replace it)
  catalog::ChangeFeed& feed;                       // this datacenter's catalog and its changes
  catalog::Writer& writer;
  health::Engine& health;
  std::string version;                             // for /v1/agent/self

  catalog::Replica& replica() const { return feed.replica(); }
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
  // Another datacenter followed read-only: catalog and health GETs with `?dc=<name>` are
  // answered from `feed`'s replica, and its changes wake their blocking queries. Writes with
  // `?dc=<name>` still answer "No path to datacenter".
  void follow_datacenter(const std::string& name, catalog::ChangeFeed& feed);

  // Blocking queries suspended right now (for tests and stats).
  size_t blocking_waiters() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::api
