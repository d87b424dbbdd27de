// Loopback servers and an io_context driver for the health tests. Everything listens on
// 127.0.0.1 with a port chosen by the kernel; nothing leaves the machine.
#pragma once

#include "tests/support/temp_dir.h"

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace beacon::health::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

// Runs `io` until `done()` holds or `limit` passes. Returns done().
inline bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    if (io.stopped()) io.restart();
    if (io.run_one_for(20ms) == 0 && io.stopped()) std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Runs `io` for `d` (however much work there is).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  run_until(io, [] { return false; }, d);
}

// Runs one awaitable to completion on `io` and returns its value.
template <typename T>
T await(asio::io_context& io, asio::awaitable<T> a, std::chrono::milliseconds limit = 10s) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr, T value) { out = std::move(value); });
  run_until(io, [&] { return out.has_value(); }, limit);
  if (!out) std::abort();
  return std::move(*out);
}

// An HTTP/1.1 server answering every request with `status` and `body` after `delay`
// (a negative delay: never answer). Counts requests and keeps the last one.
class HttpServer {
 public:
  struct State {
    unsigned status = 200;
    std::string body = "ok";
    std::chrono::milliseconds delay{0};
    int requests = 0;
    http::request<http::string_body> last;
  };

  explicit HttpServer(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io, accept_loop(state_, acceptor_), asio::detached);
  }
  ~HttpServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }
  State& state() { return *state_; }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path = "/health") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

 private:
  static asio::awaitable<void> session(std::shared_ptr<State> state, tcp::socket socket) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ++state->requests;
    state->last = req;
    asio::steady_timer timer(socket.get_executor());
    timer.expires_after(state->delay.count() < 0 ? std::chrono::milliseconds(60000) : state->delay);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    http::response<http::string_body> res{static_cast<http::status>(state->status), 11};
    res.body() = state->body;
    res.prepare_payload();
    co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<State> state, tcp::acceptor& acceptor) {
    auto ex = acceptor.get_executor();
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket(ex);
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ex, session(state, std::move(socket)), asio::detached);
    }
  }

  std::shared_ptr<State> state_ = std::make_shared<State>();
  tcp::acceptor acceptor_;
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
inline uint16_t closed_tcp_port(asio::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}
inline uint16_t closed_udp_port(asio::io_context& io) {
  udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

using beacon::test::TempDir;  // the shared one (tests/support/temp_dir.h)

}  // namespace beacon::health::test
