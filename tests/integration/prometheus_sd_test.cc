// Prometheus 3.x's Consul service discovery, replayed with curl against the real binary.
//
// discovery/consul/consul.go (Prometheus 3) asks, through hashicorp/consul/api:
//   catalog.Services(QueryOptions{WaitIndex, WaitTime: 2m, AllowStale, NodeMeta, Filter})
//   health.ServiceMultipleTags(name, tags, false, QueryOptions{..., NodeMeta, Filter: health_filter})
// The Go client sets `stale` (empty value), `index` (when not 0), `wait` as "<ms>ms", `filter`,
// one `node-meta=key:value` per pair and one `tag=` per tag, and encodes them with
// url.Values.Encode: keys sorted, values escaped by url.QueryEscape (space as '+'). The paths
// below are those strings exactly.
#include <future>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/fixtures.h"
#include "tests/support/curl.h"

namespace beacon::test {
namespace {

// Go's url.QueryEscape.
std::string query_escape(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string instance(const std::string& node, const std::string& rack, const std::string& id,
                     const std::string& tags, const std::string& env) {
  return R"({"Node":")" + node + R"(","Address":"127.0.0.41","NodeMeta":{"rack":")" + rack +
         R"("},"Service":{"ID":")" + id + R"(","Service":"web","Tags":)" + tags +
         R"(,"Port":9100,"Meta":{"env":")" + env + R"("}}})";
}

struct Agent {
  AgentProcess process;
  uint16_t http = 0;
  Agent() {
    REQUIRE_STARTED(process, agent_toml());
    http = process.http_port();
    REQUIRE(http != 0);
  }
  HttpReply get(const std::string& path) { return curl("GET", http, path, "", {}, 150); }
  void put(const std::string& path, const std::string& body) {
    HttpReply r = curl("PUT", http, path, body);
    INFO(r.raw);
    REQUIRE(r.status == 200);
  }
};

std::set<std::string> service_ids(const HttpReply& r) {
  std::set<std::string> out;
  for (const auto& e : nlohmann::json::parse(r.body)) out.insert(e["Service"]["ID"].get<std::string>());
  return out;
}

TEST_CASE("prometheus: consul_sd_configs with filter, node_meta and tags", "[integration][api][prometheus]") {
  Agent a;
  a.put("/v1/catalog/register", instance("n1", "r1", "web-1", R"(["prometheus","prod"])", "prod"));
  a.put("/v1/catalog/register", instance("n2", "r2", "web-2", R"(["prometheus","prod"])", "prod"));
  a.put("/v1/catalog/register", instance("n1", "r1", "web-3", R"(["prometheus"])", "staging"));
  a.put("/v1/catalog/register",
        R"({"Node":"n1","Address":"127.0.0.41","NodeMeta":{"rack":"r1"},"Service":{"ID":"db-1","Service":"db","Port":5432}})");

  // filter: 'ServiceTags contains "prometheus"', node_meta: {rack: r1}.
  const std::string filter = query_escape(R"(ServiceTags contains "prometheus")");
  REQUIRE(filter == "ServiceTags+contains+%22prometheus%22");
  HttpReply services = a.get("/v1/catalog/services?filter=" + filter + "&node-meta=rack%3Ar1&stale=&wait=120000ms");
  INFO(services.raw);
  REQUIRE(services.status == 200);
  CHECK(nlohmann::json::parse(services.body) == nlohmann::json{{"web", {"prometheus", "prod"}}});
  uint64_t index = std::stoull(services.headers.at("x-consul-index"));
  CHECK(index > 0);

  // Then, per service: health_filter 'Service.Meta.env == "prod"', tags [prod], node_meta.
  const std::string health_filter = query_escape(R"(Service.Meta.env == "prod")");
  REQUIRE(health_filter == "Service.Meta.env+%3D%3D+%22prod%22");
  HttpReply health = a.get("/v1/health/service/web?filter=" + health_filter + "&node-meta=rack%3Ar1&stale=&tag=prod&wait=120000ms");
  INFO(health.raw);
  REQUIRE(health.status == 200);
  CHECK(service_ids(health) == std::set<std::string>{"web-1"});
  uint64_t health_index = std::stoull(health.headers.at("x-consul-index"));

  // The watch: the same query at the last index blocks until the service changes, then
  // answers with the new instance (registered while, or just before, the query waits: either
  // way the answer must hold it).
  auto watch = std::async(std::launch::async, [&] {
    return a.get("/v1/health/service/web?filter=" + health_filter + "&index=" + std::to_string(health_index) +
                 "&node-meta=rack%3Ar1&stale=&tag=prod&wait=120000ms");
  });
  a.put("/v1/catalog/register", instance("n3", "r1", "web-4", R"(["prometheus","prod"])", "prod"));
  HttpReply woke = watch.get();
  INFO(woke.raw);
  REQUIRE(woke.status == 200);
  CHECK(service_ids(woke) == std::set<std::string>{"web-1", "web-4"});
  CHECK(std::stoull(woke.headers.at("x-consul-index")) > health_index);

  // The catalog watch at its index wakes the same way.
  auto catalog_watch = std::async(std::launch::async, [&] {
    return a.get("/v1/catalog/services?filter=" + filter + "&index=" + std::to_string(index) +
                 "&node-meta=rack%3Ar1&stale=&wait=120000ms");
  });
  HttpReply again = catalog_watch.get();  // web-4 was registered since `index`: at once
  REQUIRE(again.status == 200);
  CHECK(std::stoull(again.headers.at("x-consul-index")) > index);

  // A filter Prometheus would pass through from a typo: 400 with the position, no waiting.
  HttpReply bad = a.get("/v1/catalog/services?filter=" + query_escape("ServiceTags contain \"x\"") + "&index=" +
                        std::to_string(index + 1000) + "&stale=&wait=120000ms");
  INFO(bad.raw);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("1:13 (12)") != std::string::npos);
}

}  // namespace
}  // namespace beacon::test
