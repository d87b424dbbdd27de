// The UDP and TCP listeners over real loopback sockets: batching, pipelining, idle
// timeout, connection cap, and clean stops.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "dns/snapshot.h"
#include "dns/tcp_server.h"
#include "dns/udp_server.h"
#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

int connect_to(uint16_t port, int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Reads exactly n bytes within 2 s; false on EOF, error or timeout.
bool read_exact(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return false;
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& q) {
  std::vector<uint8_t> out(q.size() + 2);
  store_u16(out.data(), static_cast<uint16_t>(q.size()));
  std::copy(q.begin(), q.end(), out.begin() + 2);
  return out;
}

Reply read_tcp_reply(int fd) {
  uint8_t len[2];
  if (!read_exact(fd, len, 2)) return {};
  std::vector<uint8_t> body(load_u16(len));
  if (!read_exact(fd, body.data(), body.size())) return {};
  return decode(body.data(), body.size());
}

struct Servers {
  Fixture f;
  SnapshotHolder<Zone> holder;
  boost::asio::io_context io;
  std::unique_ptr<TcpServer> tcp;
  std::unique_ptr<UdpServer> udp;
  std::thread io_thread;

  explicit Servers(TcpServer::Options opt = {}) {
    for (int i = 1; i <= 5; ++i) f.service("agent1", "web-" + std::to_string(i), "web", "10.1.0." + std::to_string(i), 80);
    holder.publish(f.builder().current());
    auto u = UdpServer::bind("127.0.0.1", 0, 2, holder);
    REQUIRE(u.has_value());
    udp = std::move(*u);
    auto t = TcpServer::bind(io, "127.0.0.1", 0, holder);
    REQUIRE(t.has_value());
    tcp = std::move(*t);
    tcp->set_options(opt);
    tcp->start();
    udp->start();
    io_thread = std::thread([this] { io.run(); });
  }
  ~Servers() {
    io.stop();
    io_thread.join();
    udp->stop();
  }
};

TEST_CASE("UDP workers answer a burst of queries", "[dns][listener]") {
  Servers s;
  int fd = connect_to(s.udp->port(), SOCK_DGRAM);
  for (uint16_t id = 1; id <= 64; ++id) {
    auto q = make_query("web.service.consul.", kTypeA, {}, id);
    REQUIRE(::send(fd, q.data(), q.size(), 0) == static_cast<ssize_t>(q.size()));
  }
  std::set<uint16_t> ids;
  uint8_t buf[2048];
  for (int i = 0; i < 64; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    Reply r = decode(buf, static_cast<size_t>(n));
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer.size() == 5);
    ids.insert(r.id);
  }
  CHECK(ids.size() == 64);
  CHECK(s.udp->queries() >= 64);
  ::close(fd);
}

TEST_CASE("a new zone reaches the UDP workers", "[dns][listener]") {
  Servers s;
  s.f.service("agent1", "new-1", "fresh", "10.9.0.1", 1);
  s.holder.publish(s.f.builder().current());
  int fd = connect_to(s.udp->port(), SOCK_DGRAM);
  auto q = make_query("fresh.service.consul.", kTypeA, {});
  ::send(fd, q.data(), q.size(), 0);
  uint8_t buf[2048];
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 2000) == 1);
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  CHECK(decode(buf, static_cast<size_t>(n)).answer.size() == 1);
  ::close(fd);
}

TEST_CASE("TCP answers pipelined queries in order on one connection", "[dns][listener]") {
  Servers s;
  int fd = connect_to(s.tcp->port(), SOCK_STREAM);
  std::vector<uint8_t> all;
  for (uint16_t id = 100; id < 110; ++id) {
    auto f = framed(make_query(id % 2 ? "web.service.consul." : "nope.service.consul.", kTypeA, {}, id));
    all.insert(all.end(), f.begin(), f.end());
  }
  // One write for ten queries, then one more split across two writes.
  REQUIRE(::write(fd, all.data(), all.size()) == static_cast<ssize_t>(all.size()));
  auto last = framed(make_query("web.service.consul.", kTypeSrv, {}, 110));
  REQUIRE(::write(fd, last.data(), 1) == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(::write(fd, last.data() + 1, last.size() - 1) == static_cast<ssize_t>(last.size() - 1));
  for (uint16_t id = 100; id <= 110; ++id) {
    Reply r = read_tcp_reply(fd);
    REQUIRE(r.ok);
    CHECK(r.id == id);
    CHECK(r.rcode == (id == 110 || id % 2 ? "NOERROR" : "NXDOMAIN"));
  }
  ::close(fd);
}

TEST_CASE("TCP closes idle connections, and at the cap the longest-idle one makes room", "[dns][listener]") {
  TcpServer::Options opt;
  opt.idle_timeout = std::chrono::milliseconds(300);
  opt.max_connections = 2;
  Servers s(opt);
  int a = connect_to(s.tcp->port(), SOCK_STREAM);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int b = connect_to(s.tcp->port(), SOCK_STREAM);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int c = connect_to(s.tcp->port(), SOCK_STREAM);  // over the cap: a, idle longest, is closed
  uint8_t byte;
  pollfd p{a, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 1000) == 1);
  CHECK(::read(a, &byte, 1) == 0);
  // The newcomer answers.
  auto q = framed(make_query("web.service.consul.", kTypeA, {}, 7));
  REQUIRE(::write(c, q.data(), q.size()) == static_cast<ssize_t>(q.size()));
  CHECK(read_tcp_reply(c).id == 7);
  // b sends nothing and is closed after the idle timeout.
  pollfd pb{b, POLLIN, 0};
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::poll(&pb, 1, 2000) == 1);
  CHECK(::read(b, &byte, 1) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST_CASE("TCP hangs up on a message that is not a query", "[dns][listener]") {
  Servers s;
  int fd = connect_to(s.tcp->port(), SOCK_STREAM);
  std::vector<uint8_t> junk = {0, 3, 1, 2, 3};  // 3 bytes: shorter than a header
  REQUIRE(::write(fd, junk.data(), junk.size()) == 5);
  uint8_t byte;
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 2000) == 1);
  CHECK(::read(fd, &byte, 1) == 0);
  ::close(fd);
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

// A UDP socket on loopback that receives and never answers: an upstream that is down.
struct SilentUpstream {
  int fd;
  uint16_t port;
  SilentUpstream() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentUpstream() { ::close(fd); }
};

TEST_CASE("the recursor answers SERVFAIL on timeout and sheds load past max_inflight", "[dns][recursor]") {
  SilentUpstream up;
  boost::asio::io_context io;
  Recursor::Options opt;
  opt.servers = {"127.0.0.1:" + std::to_string(up.port)};
  opt.timeout = std::chrono::milliseconds(300);
  opt.max_inflight = 2;
  auto rec = Recursor::create(io, opt);
  REQUIRE(rec.has_value());
  std::vector<std::string> rcodes;
  std::vector<std::chrono::steady_clock::duration> when;
  auto t0 = std::chrono::steady_clock::now();
  for (uint16_t id = 1; id <= 3; ++id) {
    auto q = make_query("www.example.test.", kTypeA, {}, id);
    (*rec)->forward(q, false, [&](std::span<const uint8_t> reply) {
      rcodes.push_back(decode(reply.data(), reply.size()).rcode);
      when.push_back(std::chrono::steady_clock::now() - t0);
    });
  }
  CHECK((*rec)->inflight() == 2);
  REQUIRE(rcodes.size() == 1);  // the third was shed at once
  CHECK((*rec)->shed() == 1);
  io.run_for(std::chrono::seconds(3));
  REQUIRE(rcodes.size() == 3);
  for (const std::string& rc : rcodes) CHECK(rc == "SERVFAIL");
  CHECK(when[1] >= std::chrono::milliseconds(250));  // the timed-out ones waited for the timeout
  CHECK(when[2] < std::chrono::seconds(2));
  CHECK((*rec)->failed() == 2);  // the shed one is counted in shed(), not here
  CHECK((*rec)->inflight() == 0);
}

TEST_CASE("a recursor address that is not an IP is an error", "[dns][recursor]") {
  boost::asio::io_context io;
  Recursor::Options opt;
  opt.servers = {"dns.example.com"};
  CHECK_FALSE(Recursor::create(io, opt).has_value());
  opt.servers = {"[::1]:5353", "127.0.0.1", "::1"};
  CHECK(Recursor::create(io, opt).has_value());
}

}  // namespace
}  // namespace beacon::dns::test
