// UDP checks, as Consul's CheckUDP: send one datagram on a connected socket and wait up to
// the timeout for anything to come back. A reply or silence is passing (UDP services often
// ignore unknown datagrams); an error, typically ECONNREFUSED from an ICMP port-unreachable,
// is critical. So a UDP check takes its whole timeout on every run when the peer is silent.
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "health/probe.h"

namespace beacon::health {

namespace asio = boost::asio;
using asio::ip::udp;

asio::awaitable<ProbeResult> probe_udp(std::string target, Duration timeout) {
  using catalog::Health;
  const std::string what = "UDP connect " + target;
  std::string host, port;
  if (!split_host_port(target, host, port)) co_return ProbeResult{Health::critical, what + ": invalid address"};

  auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  auto endpoints = co_await resolve_within(host, port, timeout, ec);
  if (ec || endpoints.empty()) {
    co_return ProbeResult{Health::critical, what + ": lookup failed: " + (ec ? ec.message() : "no address")};
  }
  udp::endpoint peer(endpoints.begin()->endpoint().address(), endpoints.begin()->endpoint().port());

  auto ex = co_await asio::this_coro::executor;
  auto socket = std::make_shared<udp::socket>(ex);
  socket->open(peer.protocol(), ec);
  if (!ec) socket->connect(peer, ec);
  if (ec) co_return ProbeResult{Health::critical, what + ": " + ec.message()};

  static constexpr char kPayload[] = "hello from beacon";  // Consul sends a greeting too
  co_await socket->async_send(asio::buffer(kPayload, sizeof kPayload - 1),
                              asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ProbeResult{Health::critical, what + ": Write failed: " + ec.message()};

  asio::steady_timer deadline(ex);
  deadline.expires_at(start + timeout);
  auto timed_out = std::make_shared<bool>(false);
  deadline.async_wait([socket, timed_out](const boost::system::error_code& e) {
    if (e) return;
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  char reply[512];
  co_await socket->async_receive(asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  boost::system::error_code ignored;
  socket->close(ignored);
  if (*timed_out || !ec) co_return ProbeResult{Health::passing, what + ": Success"};
  co_return ProbeResult{Health::critical, what + ": Read failed: " + ec.message()};
}

}  // namespace beacon::health
