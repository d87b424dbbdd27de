// TCP checks: a connection that opens is passing; anything else is critical. Every address
// the name resolves to is tried in turn (v4 and v6), and the first success counts.
#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "health/probe.h"

namespace beacon::health {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<ProbeResult> probe_tcp(std::string target, Duration timeout) {
  using catalog::Health;
  std::string host, port;
  if (!split_host_port(target, host, port)) co_return ProbeResult{Health::critical, "TCP connect " + target + ": invalid address"};

  auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  auto endpoints = co_await resolve_within(host, port, timeout, ec);
  if (ec) co_return ProbeResult{Health::critical, "TCP connect " + target + ": lookup failed: " + ec.message()};

  auto ex = co_await asio::this_coro::executor;
  auto socket = std::make_shared<tcp::socket>(ex);
  asio::steady_timer deadline(ex);
  deadline.expires_at(start + timeout);
  auto timed_out = std::make_shared<bool>(false);
  deadline.async_wait([socket, timed_out](const boost::system::error_code& e) {
    if (e) return;  // cancelled: the connect finished first
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  boost::system::error_code ignored;
  socket->close(ignored);
  if (*timed_out) co_return ProbeResult{Health::critical, "TCP connect " + target + ": timed out after " + go_duration(timeout)};
  if (ec) co_return ProbeResult{Health::critical, "TCP connect " + target + ": " + ec.message()};
  co_return ProbeResult{Health::passing, "TCP connect " + target + ": Success"};
}

}  // namespace beacon::health
