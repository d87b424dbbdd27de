// Bad requests get the right status and change nothing in the store.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

struct BadCase {
  const char* what;
  const char* method;
  const char* target;
  std::string body;
  int status;
  const char* reason;  // a substring of the body
};

TEST_CASE("every bad request gets its status and leaves the store as it was", "[api][errors]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Check":{"TTL":"30s"}})").status == 200);
  const std::vector<BadCase> cases = {
      {"invalid JSON", "PUT", "/v1/agent/service/register", "{\"Name\":", 400, "Request decode failed"},
      {"not an object", "PUT", "/v1/agent/service/register", "[1]", 400, "Request decode failed"},
      {"empty body", "PUT", "/v1/agent/service/register", "", 400, "Request decode failed"},
      {"wrong type", "PUT", "/v1/agent/service/register", R"({"Name":"x","Port":"80"})", 400, "Request decode failed"},
      {"missing Name", "PUT", "/v1/agent/service/register", R"({"ID":"x"})", 400, "Missing service name"},
      {"EnableTagOverride not a bool", "PUT", "/v1/agent/service/register",
       R"({"Name":"x","EnableTagOverride":"x"})", 400, "EnableTagOverride"},
      {"Kind not a string", "PUT", "/v1/agent/service/register", R"({"Name":"x","Kind":5})", 400, "Kind"},
      {"TaggedAddresses not an object", "PUT", "/v1/agent/service/register",
       R"({"Name":"x","TaggedAddresses":[1]})", 400, "TaggedAddresses"},
      {"TaggedAddresses entry port", "PUT", "/v1/agent/service/register",
       R"({"Name":"x","TaggedAddresses":{"lan":{"Address":"10.0.0.1","Port":"80"}}})", 400,
       "TaggedAddresses.lan.Port"},
      {"Proxy not an object", "PUT", "/v1/agent/service/register", R"({"Name":"x","Proxy":"p"})", 400, "Proxy"},
      {"Connect not an object", "PUT", "/v1/agent/service/register", R"({"Name":"x","Connect":true})", 400,
       "Connect"},
      {"catalog service Kind", "PUT", "/v1/catalog/register",
       R"({"Node":"n1","Address":"127.0.0.5","Service":{"Service":"x","Kind":[]}})", 400, "Kind"},
      {"catalog node TaggedAddresses", "PUT", "/v1/catalog/register",
       R"({"Node":"n1","Address":"127.0.0.5","TaggedAddresses":{"lan":5}})", 400, "TaggedAddresses"},
      {"bad meta key", "PUT", "/v1/agent/service/register", R"({"Name":"x","Meta":{"a b":"1"}})", 400, "Meta"},
      {"zero passing weight", "PUT", "/v1/agent/service/register", R"({"Name":"x","Weights":{"Passing":0}})", 400,
       "Weights"},
      {"bad threshold", "PUT", "/v1/agent/service/register", R"({"Name":"x","ProtectThreshold":2})", 400,
       "ProtectThreshold"},
      {"bad address", "PUT", "/v1/agent/service/register", R"({"Name":"x","Address":"not an ip"})", 400, "address"},
      {"bad check duration", "PUT", "/v1/agent/service/register",
       R"({"Name":"x","Check":{"HTTP":"http://127.0.0.1/","Interval":"1x"}})", 400, "Invalid check"},
      {"check without kind", "PUT", "/v1/agent/service/register", R"({"Name":"x","Check":{"Name":"c"}})", 400,
       "exactly one"},
      {"script disabled", "PUT", "/v1/agent/service/register",
       R"({"Name":"x","Check":{"Args":["/bin/true"],"Interval":"10s"}})", 400, "Scripts are disabled"},
      {"too many meta", "PUT", "/v1/agent/service/register",
       [] {
         std::string b = R"({"Name":"x","Meta":{)";
         for (int i = 0; i < 65; ++i) b += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
         return b + "}}";
       }(),
       400, "64"},
      {"check missing name", "PUT", "/v1/agent/check/register", R"({"TTL":"10s"})", 400, "Missing check name"},
      {"catalog without node", "PUT", "/v1/catalog/register", R"({"Address":"10.0.0.1"})", 400, "node"},
      {"catalog bad status", "PUT", "/v1/catalog/register",
       R"({"Node":"n","Address":"10.0.0.1","Check":{"CheckID":"c","Status":"bad"}})", 400, "status"},
      {"unknown service", "PUT", "/v1/agent/service/deregister/nope", "", 404, "Unknown service ID"},
      {"missing service ID", "PUT", "/v1/agent/service/deregister/", "", 400, "Missing service ID"},
      {"unknown check", "PUT", "/v1/agent/check/deregister/nope", "", 404, "Unknown check ID"},
      {"unknown TTL check", "PUT", "/v1/agent/check/fail/nope", "", 404, "Unknown check ID"},
      {"bad update body", "PUT", "/v1/agent/check/update/service:web", "nope", 400, "Request decode failed"},
      {"unknown maintenance", "PUT", "/v1/agent/service/maintenance/nope?enable=true", "", 404, "Unknown service"},
      {"bad wait", "GET", "/v1/health/service/web?index=1&wait=soon", "", 400, "Invalid wait"},
      {"unknown path", "GET", "/v1/nope", "", 404, "not a recognized"},
      {"unknown agent path", "PUT", "/v1/agent/bogus", "", 404, "not a recognized"},
      {"unknown catalog path", "GET", "/v1/catalog/servicez/web", "", 404, "not a recognized"},
      {"wrong method (GET on a write)", "GET", "/v1/catalog/register", "", 405, "not allowed"},
      {"wrong method (PUT on a read)", "PUT", "/v1/catalog/services", "", 405, "not allowed"},
      {"wrong method (DELETE)", "DELETE", "/v1/agent/services", "", 405, "not allowed"},
      {"bad state", "GET", "/v1/health/state/sick", "", 400, "Invalid state"},
  };
  for (const BadCase& c : cases) {
    SECTION(c.what) {
      uint64_t before = s.store_index();
      auto r = http(s.port(), c.method, c.target, c.body);
      CHECK(r.status == c.status);
      CHECK(r.body.find(c.reason) != std::string::npos);
      if (r.status != 200) CHECK(r.header("Content-Type").starts_with("text/plain"));
      CHECK(s.store_index() == before);
    }
  }
}

TEST_CASE("ignored fields of the right type are accepted as Consul clients send them", "[api][errors]") {
  Stack s;
  HttpResult r = s.put("/v1/agent/service/register", R"({"Name":"web","Port":80,"EnableTagOverride":true,"Kind":"",
      "TaggedAddresses":{"lan_ipv4":{"Address":"10.0.0.1","Port":80},"wan":null},"Proxy":{"Upstreams":[]},
      "Connect":null,"Namespace":"","Locality":{"Region":"r"}})");
  CHECK(r.status == 200);
  CHECK(s.get("/v1/agent/service/web").status == 200);
  CHECK(s.put("/v1/catalog/register",
              R"({"Node":"n1","Address":"127.0.0.5","TaggedAddresses":{"lan":"127.0.0.5"},"ID":"x"})")
            .status == 200);
}

TEST_CASE("a body over 1 MiB gets 413 and changes nothing", "[api][errors]") {
  Stack s;
  uint64_t before = s.store_index();
  std::string body = R"({"Name":"big","Meta":{"k":")" + std::string(1024 * 1024, 'a') + R"("}})";
  body.resize(1024 * 1024 + 1, ' ');
  auto r = s.put("/v1/agent/service/register", body);
  CHECK(r.status == 413);
  CHECK(s.store_index() == before);
  // Exactly 1 MiB is accepted by the HTTP layer (and then judged by the handler).
  std::string ok = R"({"Name":"fits"})";
  ok.resize(1024 * 1024, ' ');
  CHECK(s.put("/v1/agent/service/register", ok).status == 200);
}

TEST_CASE("keep-alive serves several requests on one connection", "[api][http]") {
  Stack s;
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), s.port()});
  std::string two =
      "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/status/peers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(two));
  std::string all;
  boost::system::error_code ec;
  std::array<char, 4096> buf;
  while (!ec) {
    size_t n = socket.read_some(asio::buffer(buf), ec);
    all.append(buf.data(), n);
  }
  CHECK(all.find("\"127.0.0.1:8300\"") != std::string::npos);
  CHECK(all.find("[\"127.0.0.1:8300\"]") != std::string::npos);
  CHECK(all.find("X-Consul-Effective-Consistency: leader") != std::string::npos);
}

TEST_CASE("a half-sent request is closed after the read timeout", "[api][http]") {
  Stack s;
  HttpLimits limits;
  limits.read_timeout = std::chrono::milliseconds(300);
  s.set_limits(limits);
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket idle(io);
  idle.connect({asio::ip::make_address("127.0.0.1"), s.port()});
  asio::write(idle, asio::buffer(std::string("GET /v1/status/leader HTTP/1.1\r\nHost")));
  CHECK(s.get("/v1/status/leader").status == 200);  // others are served meanwhile
  auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  std::array<char, 64> buf;
  while (!ec) idle.read_some(asio::buffer(buf), ec);  // returns when the server closes
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

}  // namespace
}  // namespace beacon::api::test
