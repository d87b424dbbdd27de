// Keys of the catalog keyspace: layout, escaping and parsing.
#include "catalog/keyspace.h"

#include <catch2/catch.hpp>

namespace beacon::catalog {
namespace {

using Kind = Keyspace::Parsed::Kind;

TEST_CASE("keyspace builds the documented layout", "[catalog][keyspace]") {
  Keyspace ks("beacon/", "dc1");
  CHECK(ks.dc_prefix() == "beacon/dc1/");
  CHECK(ks.node_key("web-1") == "beacon/dc1/nodes/web-1");
  CHECK(ks.service_key("web-1", "api") == "beacon/dc1/services/web-1/api");
  CHECK(ks.services_of_node_prefix("web-1") == "beacon/dc1/services/web-1/");
  CHECK(ks.check_key("web-1", "service:api") == "beacon/dc1/checks/web-1/service:api");
  CHECK(ks.checks_of_node_prefix("web-1") == "beacon/dc1/checks/web-1/");

  Keyspace bare("", "dc2");
  CHECK(bare.node_key("n") == "dc2/nodes/n");
}

TEST_CASE("keyspace escapes only percent and slash", "[catalog][keyspace]") {
  Keyspace ks("beacon/", "dc1");
  CHECK(ks.node_key("a/b") == "beacon/dc1/nodes/a%2Fb");
  CHECK(ks.node_key("100%") == "beacon/dc1/nodes/100%25");
  CHECK(ks.node_key("%2F") == "beacon/dc1/nodes/%252F");
  CHECK(ks.node_key("db.example.com") == "beacon/dc1/nodes/db.example.com");
  // A node name containing '/' cannot reach into another node's prefix.
  CHECK(ks.services_of_node_prefix("a/b") == "beacon/dc1/services/a%2Fb/");
}

TEST_CASE("keyspace keys round trip through parse", "[catalog][keyspace]") {
  Keyspace ks("beacon/", "dc1");
  auto name = GENERATE(as<std::string>{}, "web", "a/b", "100%", "%2F", "%25/%", "db.example.com", "..", "/", "%",
                       "with space", "ünï");
  auto node = ks.parse(ks.node_key(name));
  REQUIRE(node);
  CHECK(node->kind == Kind::node);
  CHECK(node->node == name);
  CHECK(node->id.empty());

  auto service = ks.parse(ks.service_key(name, name + "/id"));
  REQUIRE(service);
  CHECK(service->kind == Kind::service);
  CHECK(service->node == name);
  CHECK(service->id == name + "/id");

  auto check = ks.parse(ks.check_key("n.1", name));
  REQUIRE(check);
  CHECK(check->kind == Kind::check);
  CHECK(check->node == "n.1");
  CHECK(check->id == name);
}

TEST_CASE("keyspace parse rejects foreign and malformed keys", "[catalog][keyspace]") {
  Keyspace ks("beacon/", "dc1");
  auto key = GENERATE(as<std::string>{},
                      "",                                  // empty
                      "beacon/dc2/nodes/web",              // other datacenter
                      "other/dc1/nodes/web",               // other prefix
                      "beacon/dc1",                        // no kind
                      "beacon/dc1/nodes/",                 // empty node
                      "beacon/dc1/nodes/a/b",              // unescaped slash
                      "beacon/dc1/kv/web",                 // unknown kind
                      "beacon/dc1/services/web",           // no service id
                      "beacon/dc1/services/web/",          // empty service id
                      "beacon/dc1/services//api",          // empty node
                      "beacon/dc1/services/web/api/extra", // too many segments
                      "beacon/dc1/checks/web/a%2fb",       // non-canonical escape
                      "beacon/dc1/checks/web/a%41",        // escape of an unescaped char
                      "beacon/dc1/checks/web/a%2",         // truncated escape
                      "beacon/dc1/nodes/100%");            // bare percent
  CAPTURE(key);
  CHECK_FALSE(ks.parse(key));
}

}  // namespace
}  // namespace beacon::catalog
