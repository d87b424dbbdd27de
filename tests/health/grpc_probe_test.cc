// The gRPC probe's failures against loopback peers that are not gRPC servers: nothing
// listening, a peer that accepts and stays silent (the timeout), an HTTP/1.1 server and a
// TLS handshake with a plain server. Answers of real gRPC servers are in
// tests/integration/grpc_check_test.cc.
#include <catch2/catch.hpp>

#include "health/probe.h"
#include "tests/health/loopback.h"

namespace beacon::health {
namespace {

using catalog::Health;
using namespace test;

GrpcProbe grpc_probe(const std::string& target, Duration timeout = Duration{2000}) {
  GrpcProbe p;
  p.target = target;
  p.timeout = timeout;
  return p;
}

}  // namespace

TEST_CASE("gRPC probe: refused connection is critical", "[probe][grpc]") {
  asio::io_context io;
  std::string target = "127.0.0.1:" + std::to_string(closed_tcp_port(io));
  ProbeResult r = await(io, probe_grpc(grpc_probe(target + "/api")));
  CHECK(r.status == Health::critical);
  CHECK(r.output == "rpc error: code = Unavailable desc = connection error: dial tcp " + target +
                        ": Connection refused");
}

TEST_CASE("gRPC probe: a silent peer times out within the check timeout", "[probe][grpc]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io);
  acceptor.async_accept(held, [](const boost::system::error_code&) {});  // accept, never answer
  std::string target = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  auto start = std::chrono::steady_clock::now();
  ProbeResult r = await(io, probe_grpc(grpc_probe(target, Duration{300})));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(r.status == Health::critical);
  CHECK(r.output == "rpc error: code = DeadlineExceeded desc = context deadline exceeded");
}

TEST_CASE("gRPC probe: an HTTP/1.1 server or a plain server under TLS is critical", "[probe][grpc]") {
  asio::io_context io;
  HttpServer server(io);
  std::string target = "127.0.0.1:" + std::to_string(server.port());
  SECTION("h2c against HTTP/1.1") {
    ProbeResult r = await(io, probe_grpc(grpc_probe(target)));
    CHECK(r.status == Health::critical);
    CHECK(r.output.starts_with("rpc error: code = "));
  }
  SECTION("TLS against a plain server") {
    GrpcProbe p = grpc_probe(target);
    p.use_tls = true;
    p.tls = make_tls_context(false);
    ProbeResult r = await(io, probe_grpc(p));
    CHECK(r.status == Health::critical);
    CHECK(r.output.starts_with("rpc error: code = Unavailable desc = connection error: TLS handshake failed: "));
  }
}

TEST_CASE("gRPC probe: a malformed target is critical", "[probe][grpc]") {
  asio::io_context io;
  ProbeResult r = await(io, probe_grpc(grpc_probe("no-port/api")));
  CHECK(r.status == Health::critical);
  CHECK(r.output == "gRPC check no-port/api: invalid address");
}

}  // namespace beacon::health
