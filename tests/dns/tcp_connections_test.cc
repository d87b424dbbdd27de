// TcpConnections: least-recently-active eviction at the cap, and the per-client limit.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include "dns/tcp_connections.h"

namespace beacon::dns {
namespace {

using boost::asio::ip::tcp;

std::shared_ptr<tcp::socket> open_socket(boost::asio::io_context& io) {
  auto s = std::make_shared<tcp::socket>(io);
  s->open(tcp::v4());
  return s;
}

TEST_CASE("tcp connections: at the cap the longest-idle connection is closed to admit a new one", "[dns][tcp]") {
  boost::asio::io_context io;
  TcpConnections table;
  TcpConnections::Limits limits{.max_total = 3, .max_per_client = 10};
  auto a = table.admit(open_socket(io), "10.0.0.1", limits);
  auto b = table.admit(open_socket(io), "10.0.0.1", limits);
  auto c = table.admit(open_socket(io), "10.0.0.2", limits);
  REQUIRE((a && b && c));
  table.touch(a);  // a answered a query: b is now the longest idle
  auto d = table.admit(open_socket(io), "10.0.0.3", limits);
  REQUIRE(d);
  CHECK(table.size() == 3);
  CHECK_FALSE(b->socket->is_open());
  CHECK(a->socket->is_open());
  CHECK(c->socket->is_open());
  CHECK(table.evicted() == 1);
  table.remove(b);  // its session ends later: nothing changes
  CHECK(table.size() == 3);
  table.remove(c);
  CHECK(table.size() == 2);
}

TEST_CASE("tcp connections: a client at its limit is refused until one of its own closes", "[dns][tcp]") {
  boost::asio::io_context io;
  TcpConnections table;
  TcpConnections::Limits limits{.max_total = 100, .max_per_client = 2};
  auto a = table.admit(open_socket(io), "10.0.0.1", limits);
  auto b = table.admit(open_socket(io), "10.0.0.1", limits);
  REQUIRE((a && b));
  CHECK_FALSE(table.admit(open_socket(io), "10.0.0.1", limits));
  CHECK(table.refused() == 1);
  CHECK(table.admit(open_socket(io), "10.0.0.2", limits));
  table.remove(a);
  CHECK(table.admit(open_socket(io), "10.0.0.1", limits));
}

}  // namespace
}  // namespace beacon::dns
