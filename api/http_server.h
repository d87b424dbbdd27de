// beacon::api::HttpServer: the HTTP/1.1 listener (Boost.Beast) under the API.
//
// An accept loop and one coroutine per connection: read a request (at most body_limit bytes
// of body, else 413 and close; the headers and body must arrive within read_timeout, and an
// idle keep-alive connection is closed after it too), hand it to the Handler, write the
// response, and loop while the client keeps the connection alive. The Handler is itself a
// coroutine so that a blocking query suspends only its own connection. Runs on one
// io_context; not thread-safe.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "api/request.h"

namespace beacon::api {

struct HttpLimits {
  size_t body_limit = 1024 * 1024;             // larger bodies get 413
  std::chrono::milliseconds read_timeout{30000};  // per request, and for idle keep-alive
  std::chrono::milliseconds write_timeout{30000};
};

class HttpServer {
 public:
  // Must not throw; handles every Request (404/405 included).
  using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

  // Binds address:port (0: ephemeral). Returns a message naming the address on failure.
  static std::expected<std::unique_ptr<HttpServer>, std::string> bind(boost::asio::io_context& io,
                                                                       const std::string& address, uint16_t port,
                                                                       Handler handler);
  ~HttpServer();

  uint16_t port() const { return port_; }
  void set_limits(const HttpLimits& limits);
  void start();
  // Stops accepting and closes every open connection.
  void stop();

  struct Shared;  // defined in http_server.cc; public so that its coroutines can name it

 private:
  HttpServer(boost::asio::io_context& io, boost::asio::ip::tcp::acceptor acceptor, Handler handler);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_;
  std::shared_ptr<Shared> shared_;  // shared with the coroutines, which may outlive *this
};

}  // namespace beacon::api
