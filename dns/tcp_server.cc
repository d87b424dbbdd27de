#include "dns/tcp_server.h"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "dns/answer.h"
#include "dns/wire/wire.h"
#include "log/log.h"

namespace beacon::dns {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Closes the socket when the deadline passes; the session pushes the deadline forward.
asio::awaitable<void> watchdog(std::shared_ptr<tcp::socket> socket, std::shared_ptr<asio::steady_timer> deadline) {
  boost::system::error_code ec;
  while (socket->is_open()) {
    if (deadline->expiry() <= asio::steady_timer::clock_type::now()) {
      socket->close(ec);
      co_return;
    }
    co_await deadline->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Forwards the question in `query` over TCP and waits for the reply (or SERVFAIL).
asio::awaitable<std::vector<uint8_t>> recurse(Recursor& recursor, std::span<const uint8_t> query) {
  auto reply = std::make_shared<std::vector<uint8_t>>();
  auto ready = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  recursor.forward(query, true, [reply, ready](std::span<const uint8_t> r) {
    reply->assign(r.begin(), r.end());
    ready->cancel();
  });
  boost::system::error_code ec;
  if (reply->empty()) co_await ready->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return std::move(*reply);
}

// Whether a whole length-prefixed message is already in the socket's receive buffer, so
// that reading it will not wait.
bool next_message_buffered(tcp::socket& socket) {
  boost::system::error_code ec;
  size_t avail = socket.available(ec);
  if (ec || avail < 2) return false;
  uint8_t len[2];
  ssize_t n = ::recv(socket.native_handle(), len, 2, MSG_PEEK | MSG_DONTWAIT);
  return n == 2 && avail >= 2u + load_u16(len);
}

asio::awaitable<void> session(std::shared_ptr<tcp::socket> socket, const SnapshotHolder<Zone>& zone,
                              TcpServer::Options options, std::shared_ptr<TcpConnections> connections,
                              TcpConnections::Handle conn, std::shared_ptr<Counters> counters, Recursor* recursor) {
  auto deadline = std::make_shared<asio::steady_timer>(socket->get_executor());
  deadline->expires_after(options.idle_timeout);
  asio::co_spawn(socket->get_executor(), watchdog(socket, deadline), asio::detached);
  Scratch scratch(reinterpret_cast<uintptr_t>(socket.get()) * 0x9E3779B97F4A7C15ull);
  // Replies to pipelined queries collect here and go out in one write once no further
  // complete query is waiting (fewer segments: one per batch instead of one per reply).
  constexpr size_t kSlot = kMaxMessage + 2;
  std::vector<uint8_t> in(512), out(2 * kSlot);
  size_t used = 0;
  SnapshotHolder<Zone>::Reader reader(zone);
  boost::system::error_code ec;
  auto flush = [&]() -> asio::awaitable<bool> {
    if (used == 0) co_return true;
    co_await asio::async_write(*socket, asio::buffer(out.data(), used), asio::redirect_error(asio::use_awaitable, ec));
    used = 0;
    co_return !ec;
  };
  while (true) {
    uint8_t len_buf[2];
    co_await asio::async_read(*socket, asio::buffer(len_buf, 2), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    size_t len = load_u16(len_buf);
    if (in.size() < len) in.resize(len);
    co_await asio::async_read(*socket, asio::buffer(in.data(), len), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const Zone& z = reader.get();
    uint8_t* slot = out.data() + used;
    Result r = answer(z, in.data(), len, Transport::tcp, slot + 2, kMaxMessage, scratch);
    counters->count(r);
    if (r.outcome == Outcome::recurse) {
      boost::system::error_code peer_ec;
      auto peer = socket->remote_endpoint(peer_ec);
      if (recursor && !peer_ec && z.settings->allows_recursion(peer.data())) {
        if (!co_await flush()) break;  // answer what we have before waiting upstream
        slot = out.data();
        std::vector<uint8_t> reply = co_await recurse(*recursor, std::span<const uint8_t>(in.data(), len));
        r.size = std::min<size_t>(reply.size(), kMaxMessage);
        std::copy(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(r.size), slot + 2);
      } else {
        r.size = write_error_reply(in.data(), len, kRcodeRefused, false, slot + 2, kMaxMessage);
      }
    }
    if (r.size == 0) break;  // a response or garbage without a header: hang up
    store_u16(slot, static_cast<uint16_t>(r.size));
    used += r.size + 2;
    deadline->expires_after(options.idle_timeout);
    connections->touch(conn);
    // Keep answering while the next query is already here and another reply still fits.
    if (used <= out.size() - kSlot && next_message_buffered(*socket)) continue;
    if (!co_await flush()) break;
  }
  if (!ec) co_await flush();
  socket->close(ec);
  deadline->cancel();
  connections->remove(conn);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const SnapshotHolder<Zone>& zone,
                                  const TcpServer::Options& options, std::shared_ptr<TcpConnections> connections,
                                  std::shared_ptr<Counters> counters, std::shared_ptr<bool> stopped,
                                  Recursor* recursor) {
  boost::system::error_code ec;
  while (!*stopped) {
    auto socket = std::make_shared<tcp::socket>(acceptor.get_executor());
    co_await acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
    if (*stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      log::warn("dns", "tcp accept failed: ", ec.message());
      continue;
    }
    auto peer = socket->remote_endpoint(ec);
    if (ec) {
      socket->close(ec);
      continue;
    }
    TcpConnections::Handle conn = connections->admit(
        socket, peer.address().to_string(), {options.max_connections, options.max_connections_per_client});
    if (!conn) {
      socket->close(ec);  // the client holds its share already
      continue;
    }
    socket->set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), session(socket, zone, options, connections, conn, counters, recursor),
                   asio::detached);
  }
}

}  // namespace

std::expected<std::unique_ptr<TcpServer>, std::string> TcpServer::bind(asio::io_context& io,
                                                                       const std::string& address, uint16_t port,
                                                                       const SnapshotHolder<Zone>& zone) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return std::unexpected("not an IP address: " + address);
  tcp::endpoint ep(ip, port);
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && ip.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("bind tcp " + address + ":" + std::to_string(port) + ": " + ec.message());
  return std::unique_ptr<TcpServer>(new TcpServer(io, std::move(acceptor), zone));
}

TcpServer::TcpServer(asio::io_context& io, tcp::acceptor acceptor, const SnapshotHolder<Zone>& zone)
    : io_(io), acceptor_(std::move(acceptor)), zone_(zone), port_(acceptor_.local_endpoint().port()),
      connections_(std::make_shared<TcpConnections>()), counters_(std::make_shared<Counters>()),
      stopped_(std::make_shared<bool>(false)) {}

TcpServer::~TcpServer() { stop(); }

void TcpServer::start() {
  asio::co_spawn(io_, accept_loop(acceptor_, zone_, options_, connections_, counters_, stopped_, recursor_),
                 asio::detached);
}

void TcpServer::stop() {
  *stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

}  // namespace beacon::dns
