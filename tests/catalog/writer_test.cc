// Writer: each logical change is one commit with the right keys.
#include "catalog/writer.h"

#include <catch2/catch.hpp>

#include "catalog/sqlite/embedded_store.h"

namespace beacon::catalog {
namespace {

struct Fixture {
  Fixture() : store(std::move(*EmbeddedStore::open(":memory:"))), writer(*store, Keyspace("beacon/", "dc1")) {}

  std::vector<std::string> keys() {
    std::vector<std::string> out;
    auto range = store->range("");  // named: a range-for over a temporary's member would dangle
    for (const KeyValue& kv : range->kvs) out.push_back(kv.key);
    return out;
  }
  std::optional<KeyValue> get(const std::string& key) {
    auto range = store->range(key);
    for (const KeyValue& kv : range->kvs) {
      if (kv.key == key) return kv;
    }
    return std::nullopt;
  }

  std::unique_ptr<EmbeddedStore> store;
  Writer writer;
};

Service service(std::string node, std::string id, std::string name, std::string source = "api") {
  Service s;
  s.node = std::move(node);
  s.id = std::move(id);
  s.name = std::move(name);
  s.port = 80;
  s.source = std::move(source);
  return s;
}

Check check(std::string id, Health status = Health::passing) {
  Check c;
  c.id = std::move(id);
  c.name = c.id;
  c.status = status;
  return c;
}

TEST_CASE("register_catalog writes node, service and checks in one commit", "[catalog][writer]") {
  Fixture f;
  Node n;
  n.name = "ext";
  n.address = "10.0.2.5";
  Service s = service("ext", "pg", "postgres");
  Check svc_check = check("pg-alive");
  svc_check.service_id = "pg";
  Check node_check = check("ext-up");
  node_check.node = "ext";
  uint64_t before = f.store->index();
  auto idx = f.writer.register_catalog(&n, &s, {svc_check}, {node_check});
  REQUIRE(idx.has_value());
  CHECK(*idx == before + 1);
  CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/ext/ext-up", "beacon/dc1/checks/ext/pg-alive",
                                             "beacon/dc1/nodes/ext", "beacon/dc1/services/ext/pg"});
  // An invalid check fails the whole registration.
  Check bad = check("");
  bad.node = "ext";
  Node n2 = n;
  n2.address = "10.0.2.6";
  CHECK_FALSE(f.writer.register_catalog(&n2, nullptr, {}, {bad}).has_value());
  CHECK(f.store->index() == *idx);
}

TEST_CASE("register_node fills the datacenter", "[catalog][writer]") {
  Fixture f;
  CHECK(f.writer.register_node(Node{.name = "n1", .address = "10.0.0.1", .datacenter = "", .meta = {}}) == 1u);
  auto node = decode_node(*f.get("beacon/dc1/nodes/n1"));
  REQUIRE(node);
  CHECK(node->datacenter == "dc1");
  CHECK(node->address == "10.0.0.1");
  auto bad = f.writer.register_node(Node{});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Error::Code::invalid);
}

TEST_CASE("register_service puts the instance and its checks in one commit", "[catalog][writer]") {
  Fixture f;
  Check c = check("svc:web1");
  c.node = "elsewhere";  // overwritten with the instance's node and ID
  CHECK(f.writer.register_service(service("n1", "web1", "web"), {c, check("svc:web1:tcp")}) == 1u);
  CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n1/svc:web1", "beacon/dc1/checks/n1/svc:web1:tcp",
                                              "beacon/dc1/services/n1/web1"});
  auto stored = decode_check(*f.get("beacon/dc1/checks/n1/svc:web1"));
  REQUIRE(stored);
  CHECK(stored->node == "n1");
  CHECK(stored->service_id == "web1");

  SECTION("replace_checks removes the instance's other checks only") {
    REQUIRE(f.writer.register_service(service("n1", "web2", "web"), {check("svc:web2")}));
    REQUIRE(f.writer.register_check(Check{.id = "node-ok", .name = "", .node = "n1", .service_id = "",
                                          .status = Health::passing, .output = "", .notes = "", .definition = ""}));
    REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {check("svc:web1:new")}, true));
    CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n1/node-ok", "beacon/dc1/checks/n1/svc:web1:new",
                                                "beacon/dc1/checks/n1/svc:web2", "beacon/dc1/services/n1/web1",
                                                "beacon/dc1/services/n1/web2"});
  }
  SECTION("without replace_checks, other checks stay") {
    REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {check("svc:web1:new")}));
    CHECK(f.keys().size() == 4);
  }
  SECTION("missing fields are invalid") {
    auto r = f.writer.register_service(service("n1", "", "web"), {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::invalid);
    CHECK(f.store->index() == 1);
  }
}

TEST_CASE("deregister_service removes the instance and only its checks", "[catalog][writer]") {
  Fixture f;
  REQUIRE(f.writer.register_node(Node{.name = "n1", .address = "10.0.0.1", .datacenter = "", .meta = {}}));
  REQUIRE(f.writer.register_service(service("n1", "web", "web"), {check("c-web")}));
  REQUIRE(f.writer.register_service(service("n1", "web2", "web"), {check("c-web2")}));
  REQUIRE(f.writer.register_check(Check{.id = "node-ok", .name = "", .node = "n1", .service_id = "",
                                        .status = Health::passing, .output = "", .notes = "", .definition = ""}));
  REQUIRE(f.writer.register_service(service("n2", "web", "web"), {check("c-web")}));

  CHECK(f.writer.deregister_service("n1", "web") == 6u);
  CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n1/c-web2", "beacon/dc1/checks/n1/node-ok",
                                              "beacon/dc1/checks/n2/c-web", "beacon/dc1/nodes/n1",
                                              "beacon/dc1/services/n1/web2", "beacon/dc1/services/n2/web"});
  auto again = f.writer.deregister_service("n1", "web");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Error::Code::not_found);
  // "we" is a prefix of "web2" but not an instance.
  CHECK(f.writer.deregister_service("n1", "we").error().code == Error::Code::not_found);
}

TEST_CASE("deregister_node removes the node with its services and checks", "[catalog][writer]") {
  Fixture f;
  REQUIRE(f.writer.register_node(Node{.name = "n1", .address = "", .datacenter = "", .meta = {}}));
  REQUIRE(f.writer.register_node(Node{.name = "n10", .address = "", .datacenter = "", .meta = {}}));
  REQUIRE(f.writer.register_service(service("n1", "a", "a"), {check("ca")}));
  REQUIRE(f.writer.register_service(service("n10", "a", "a"), {check("ca")}));
  CHECK(f.writer.deregister_node("n1") == 5u);
  CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n10/ca", "beacon/dc1/nodes/n10",
                                              "beacon/dc1/services/n10/a"});
  CHECK(f.writer.deregister_node("n1") == 5u);  // nothing left: no change
}

TEST_CASE("register_check and deregister_check", "[catalog][writer]") {
  Fixture f;
  Check c = check("maint", Health::critical);
  c.node = "n1";
  CHECK(f.writer.register_check(c) == 1u);
  CHECK(decode_check(*f.get("beacon/dc1/checks/n1/maint"))->status == Health::critical);
  CHECK(f.writer.deregister_check("n1", "maint") == 2u);
  CHECK(f.keys().empty());
  CHECK(f.writer.deregister_check("n1", "maint") == 2u);
}

TEST_CASE("sync_config_services replaces config services and keeps API ones", "[catalog][writer]") {
  Fixture f;
  Node node{.name = "n1", .address = "10.0.0.1", .datacenter = "", .meta = {}};
  REQUIRE(f.writer.sync_config_services(node, {service("", "a", "a", ""), service("", "b", "b", "")},
                                        {{check("ca")}, {check("cb"), check("cb2")}}));
  REQUIRE(f.writer.register_service(service("n1", "api-svc", "api"), {check("capi")}));
  auto stored = decode_service(*f.get("beacon/dc1/services/n1/a"));
  REQUIRE(stored);
  CHECK(stored->source == "config");
  CHECK(stored->node == "n1");
  uint64_t index = f.store->index();

  SECTION("the same config again is no change") {
    CHECK(f.writer.sync_config_services(node, {service("", "a", "a"), service("", "b", "b")},
                                        {{check("ca")}, {check("cb"), check("cb2")}}) == index);
  }
  SECTION("a service that disappeared goes with its checks; a dropped check goes") {
    REQUIRE(f.writer.sync_config_services(node, {service("", "b", "b")}, {{check("cb")}}) == index + 1);
    CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n1/capi", "beacon/dc1/checks/n1/cb",
                                                "beacon/dc1/nodes/n1", "beacon/dc1/services/n1/api-svc",
                                                "beacon/dc1/services/n1/b"});
  }
  SECTION("an empty config removes every config service") {
    REQUIRE(f.writer.sync_config_services(node, {}, {}));
    CHECK(f.keys() == std::vector<std::string>{"beacon/dc1/checks/n1/capi", "beacon/dc1/nodes/n1",
                                                "beacon/dc1/services/n1/api-svc"});
  }
  SECTION("a check that moves to a new service with the same ID is kept") {
    REQUIRE(f.writer.sync_config_services(node, {service("", "c", "c")}, {{check("ca")}}));
    auto moved = decode_check(*f.get("beacon/dc1/checks/n1/ca"));
    REQUIRE(moved);
    CHECK(moved->service_id == "c");
  }
  SECTION("checks not parallel to services are invalid") {
    auto r = f.writer.sync_config_services(node, {service("", "a", "a")}, {{}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::invalid);
  }
}

}  // namespace
}  // namespace beacon::catalog
