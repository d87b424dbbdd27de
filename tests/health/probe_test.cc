// Each network probe against real loopback servers: HTTP statuses, refused connections and
// timeouts, TCP open and closed, UDP silent and refused.
#include "health/probe.h"

#include <catch2/catch.hpp>

#include "tests/health/loopback.h"

namespace beacon::health {
namespace {

using catalog::Health;
using namespace test;

HttpProbe http_probe(const std::string& url, Duration timeout = Duration{2000}) {
  HttpProbe p;
  p.url = url;
  p.timeout = timeout;
  return p;
}

}  // namespace

TEST_CASE("HTTP probe maps status codes like Consul", "[probe][http]") {
  asio::io_context io;
  HttpServer server(io);
  struct Case {
    unsigned code;
    Health status;
    const char* line;
  };
  const Case cases[] = {
      {200, Health::passing, "200 OK"},
      {204, Health::passing, "204 No Content"},
      {429, Health::warning, "429 Too Many Requests"},
      {500, Health::critical, "500 Internal Server Error"},
      {301, Health::critical, "301 Moved Permanently"},
  };
  for (const Case& c : cases) {
    server.state().status = c.code;
    server.state().body = c.code == 204 ? "" : "body " + std::to_string(c.code);
    ProbeResult r = await(io, probe_http(http_probe(server.url())));
    INFO(r.output);
    CHECK(r.status == c.status);
    CHECK(r.output == "HTTP GET " + server.url() + ": " + c.line + " Output: " + server.state().body);
  }
}

TEST_CASE("HTTP probe sends Consul's headers, the method, custom headers and the body", "[probe][http]") {
  asio::io_context io;
  HttpServer server(io);
  HttpProbe p = http_probe(server.url("/x?y=1"));
  p.method = "POST";
  p.header = {{"X-Check", {"a", "b"}}};
  p.body = "ping";
  ProbeResult r = await(io, probe_http(p));
  CHECK(r.status == Health::passing);
  const auto& req = server.state().last;
  CHECK(req.method_string() == "POST");
  CHECK(req.target() == "/x?y=1");
  CHECK(req[http::field::user_agent] == "Consul Health Check");
  CHECK(req[http::field::accept] == "text/plain, text/*, */*");
  CHECK(req[http::field::host] == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(req.count("X-Check") == 2);
  CHECK(req.body() == "ping");
}

TEST_CASE("HTTP probe output is cut to output_max", "[probe][http]") {
  asio::io_context io;
  HttpServer server(io);
  server.state().body = std::string(100000, 'x');
  HttpProbe p = http_probe(server.url());
  p.output_max = 10;
  ProbeResult r = await(io, probe_http(p));
  CHECK(r.status == Health::passing);
  CHECK(r.output == "HTTP GET " + server.url() + ": 200 OK Output: xxxxxxxxxx");
}

TEST_CASE("HTTP probe: refused connection and timeout are critical", "[probe][http]") {
  asio::io_context io;
  SECTION("connection refused") {
    std::string url = "http://127.0.0.1:" + std::to_string(closed_tcp_port(io)) + "/";
    ProbeResult r = await(io, probe_http(http_probe(url)));
    CHECK(r.status == Health::critical);
    CHECK(r.output == "HTTP GET " + url + ": Connection refused");
  }
  SECTION("no answer within the timeout") {
    HttpServer server(io);
    server.state().delay = std::chrono::milliseconds(-1);
    auto start = std::chrono::steady_clock::now();
    ProbeResult r = await(io, probe_http(http_probe(server.url(), Duration{300})));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(r.status == Health::critical);
    CHECK(r.output == "HTTP GET " + server.url() + ": timed out after 300ms");
  }
  SECTION("a URL that is not http") {
    ProbeResult r = await(io, probe_http(http_probe("gopher://x/")));
    CHECK(r.status == Health::critical);
    CHECK(r.output == "HTTP GET gopher://x/: invalid URL");
  }
}

TEST_CASE("HTTPS probe reports a TLS failure against a plain server", "[probe][http]") {
  asio::io_context io;
  HttpServer server(io);
  HttpProbe p = http_probe("https://127.0.0.1:" + std::to_string(server.port()) + "/", Duration{2000});
  p.tls = make_tls_context(false);
  ProbeResult r = await(io, probe_http(p));
  CHECK(r.status == Health::critical);
  CHECK(r.output.starts_with("HTTP GET https://127.0.0.1:"));
}

TEST_CASE("TCP probe: open port passes, closed port fails", "[probe][tcp]") {
  asio::io_context io;
  tcp::acceptor open(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string target = "127.0.0.1:" + std::to_string(open.local_endpoint().port());
  ProbeResult ok = await(io, probe_tcp(target, Duration{2000}));
  CHECK(ok.status == Health::passing);
  CHECK(ok.output == "TCP connect " + target + ": Success");

  std::string closed = "127.0.0.1:" + std::to_string(closed_tcp_port(io));
  ProbeResult bad = await(io, probe_tcp(closed, Duration{2000}));
  CHECK(bad.status == Health::critical);
  CHECK(bad.output == "TCP connect " + closed + ": Connection refused");

  ProbeResult named = await(io, probe_tcp("localhost:" + std::to_string(open.local_endpoint().port()), Duration{2000}));
  CHECK(named.status == Health::passing);
}

TEST_CASE("UDP probe: silence passes, ICMP port unreachable fails", "[probe][udp]") {
  asio::io_context io;
  udp::socket listener(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string target = "127.0.0.1:" + std::to_string(listener.local_endpoint().port());
  ProbeResult ok = await(io, probe_udp(target, Duration{300}));
  CHECK(ok.status == Health::passing);
  CHECK(ok.output == "UDP connect " + target + ": Success");
  char buf[64];
  CHECK(listener.available() > 0);
  CHECK(listener.receive(asio::buffer(buf)) > 0);  // the datagram arrived

  std::string closed = "127.0.0.1:" + std::to_string(closed_udp_port(io));
  ProbeResult bad = await(io, probe_udp(closed, Duration{1000}));
  CHECK(bad.status == Health::critical);
  CHECK(bad.output == "UDP connect " + closed + ": Read failed: Connection refused");
}

TEST_CASE("go_duration formats like Go", "[probe]") {
  CHECK(go_duration(Duration{0}) == "0s");
  CHECK(go_duration(Duration{250}) == "250ms");
  CHECK(go_duration(Duration{30000}) == "30s");
  CHECK(go_duration(Duration{1500}) == "1.5s");
  CHECK(go_duration(Duration{90000}) == "1m30s");
  CHECK(go_duration(Duration{3600000}) == "1h0m0s");
}

}  // namespace beacon::health
