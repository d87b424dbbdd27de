// JSON values of the catalog keyspace: round trips, field names, and corrupt input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/keyspace.h"

namespace beacon::catalog {
namespace {

KeyValue kv_of(std::string value, uint64_t create = 3, uint64_t mod = 7) {
  return KeyValue{"beacon/dc1/x", std::move(value), create, mod};
}

TEST_CASE("node JSON round trips with indexes from the KeyValue", "[catalog][codec]") {
  Node node{.name = "web-1", .address = "10.0.0.1", .datacenter = "dc1", .meta = {{"rack", "r1"}, {"os", "linux"}}};
  std::string json = encode_node(node);
  CHECK(json == R"({"Address":"10.0.0.1","Datacenter":"dc1","Meta":{"os":"linux","rack":"r1"},"Node":"web-1"})");
  auto decoded = decode_node(kv_of(json));
  REQUIRE(decoded);
  node.create_index = 3;
  node.modify_index = 7;
  CHECK(*decoded == node);
}

TEST_CASE("service JSON round trips with ProtectThreshold only when set", "[catalog][codec]") {
  Service s{.id = "api-1", .name = "api", .node = "web-1", .address = "", .port = 8080, .tags = {"v1", "primary"},
            .meta = {{"version", "1.2"}}, .weights = {10, 1}, .protect_threshold = std::nullopt, .source = "api"};
  std::string json = encode_service(s);
  CHECK(json.find("ProtectThreshold") == std::string::npos);
  CHECK(json.find(R"("Weights":{"Passing":10,"Warning":1})") != std::string::npos);
  CHECK(json.find(R"("ID":"api-1")") != std::string::npos);
  CHECK(json.find(R"("Service":"api")") != std::string::npos);
  auto decoded = decode_service(kv_of(json, 1, 1));
  REQUIRE(decoded);
  s.create_index = 1;
  s.modify_index = 1;
  CHECK(*decoded == s);

  s.protect_threshold = 0.5;
  s.port = 65535;
  json = encode_service(s);
  CHECK(json.find(R"("ProtectThreshold":0.5)") != std::string::npos);
  decoded = decode_service(kv_of(json, 1, 1));
  REQUIRE(decoded);
  CHECK(*decoded == s);
}

TEST_CASE("EnableTagOverride is stored only when set and read back", "[catalog][codec]") {
  Service s;
  s.id = s.name = "a";
  s.node = "n";
  s.source = "api";
  CHECK(encode_service(s).find("EnableTagOverride") == std::string::npos);
  s.enable_tag_override = true;
  std::string json = encode_service(s);
  CHECK(json.find(R"("EnableTagOverride":true)") != std::string::npos);
  auto decoded = decode_service(kv_of(json, 1, 1));
  REQUIRE(decoded);
  CHECK(decoded->enable_tag_override);
  CHECK_FALSE(decode_service(kv_of(R"({"ID":"a","Service":"a","EnableTagOverride":"yes"})", 1, 1)));
}

TEST_CASE("check JSON round trips with the definition as a string", "[catalog][codec]") {
  Check c{.id = "service:api-1", .name = "HTTP on /health", .node = "web-1", .service_id = "api-1",
          .status = Health::warning, .output = "HTTP 429", .notes = "", .definition = R"({"http":"http://x/health"})"};
  std::string json = encode_check(c);
  CHECK(json.find(R"("Status":"warning")") != std::string::npos);
  CHECK(json.find(R"("Definition":"{\"http\":\"http://x/health\"}")") != std::string::npos);
  auto decoded = decode_check(kv_of(json));
  REQUIRE(decoded);
  c.create_index = 3;
  c.modify_index = 7;
  CHECK(*decoded == c);
}

TEST_CASE("missing optional fields take the model defaults", "[catalog][codec]") {
  auto s = decode_service(kv_of(R"({"ID":"a","Service":"b"})"));
  REQUIRE(s);
  CHECK(s->port == 0);
  CHECK(s->weights == Weights{});
  CHECK_FALSE(s->protect_threshold);
  auto n = decode_node(kv_of(R"({"Node":"n"})"));
  REQUIRE(n);
  CHECK(n->meta.empty());
}

TEST_CASE("encode never throws on invalid UTF-8", "[catalog][codec]") {
  Node node{.name = std::string("bad\xff"), .address = "", .datacenter = "", .meta = {}};
  std::string json;
  REQUIRE_NOTHROW(json = encode_node(node));
  CHECK(decode_node(kv_of(json)));
}

TEST_CASE("corrupt or mis-shaped JSON is Error{corrupt}", "[catalog][codec]") {
  SECTION("nodes") {
    auto value = GENERATE(as<std::string>{}, "", "{", "not json", "[]", "42", R"({"Address":"x"})",
                          R"({"Node":""})", R"({"Node":5})", R"({"Node":"n","Meta":[]})",
                          R"({"Node":"n","Meta":{"k":1}})");
    CAPTURE(value);
    auto r = decode_node(kv_of(value));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::corrupt);
    CHECK(r.error().message.find("beacon/dc1/x") != std::string::npos);
  }
  SECTION("services") {
    auto value = GENERATE(as<std::string>{}, R"({"ID":"a"})", R"({"ID":"a","Service":"b","Port":70000})",
                          R"({"ID":"a","Service":"b","Port":-1})", R"({"ID":"a","Service":"b","Port":"80"})",
                          R"({"ID":"a","Service":"b","Tags":"x"})", R"({"ID":"a","Service":"b","Tags":[1]})",
                          R"({"ID":"a","Service":"b","Weights":{"Passing":-1}})",
                          R"({"ID":"a","Service":"b","ProtectThreshold":"x"})");
    CAPTURE(value);
    auto r = decode_service(kv_of(value));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::corrupt);
  }
  SECTION("checks") {
    auto value = GENERATE(as<std::string>{}, R"({"CheckID":"c"})", R"({"CheckID":"c","Status":"ok"})",
                          R"({"CheckID":"c","Status":"Passing"})", R"({"Status":"passing"})",
                          R"({"CheckID":"c","Status":"passing","Definition":{}})");
    CAPTURE(value);
    auto r = decode_check(kv_of(value));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Error::Code::corrupt);
  }
}

TEST_CASE("a stored value nested 100,000 levels deep is Error{corrupt}, not a stack overflow", "[catalog][codec]") {
  std::string deep = R"({"CheckID":"c","Status":"passing","Definition":)";
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100000, '}') + "}";
  auto r = decode_check(kv_of(deep));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::corrupt);
  auto n = decode_node(kv_of(std::string(100000, '[') + std::string(100000, ']')));
  REQUIRE_FALSE(n);
  CHECK(n.error().code == Error::Code::corrupt);
}

TEST_CASE("health names round trip", "[catalog][model]") {
  for (Health h : {Health::passing, Health::warning, Health::critical}) CHECK(parse_health(health_name(h)) == h);
  CHECK_FALSE(parse_health("PASSING"));
  CHECK_FALSE(parse_health(""));
  CHECK(std::max(Health::warning, Health::critical) == Health::critical);
}

}  // namespace
}  // namespace beacon::catalog

namespace beacon::catalog {
namespace {

// The encoders write plain values directly and fall back to nlohmann for the rest: either
// way the text must be nlohmann's canonical form (sorted keys, compact), so a value never
// changes bytes with the path it took (a stored value that compares unequal would be
// rewritten at every start), and it must decode to what was encoded.
TEST_CASE("encoders give nlohmann's canonical form, plain or escaped", "[catalog][codec]") {
  auto canonical = [](const std::string& json) { return nlohmann::json::parse(json).dump(); };
  auto text = GENERATE(as<std::string>{}, "", "plain-1", "with space", "quote\"d", "back\\slash", "tab\there",
                       "caf\xc3\xa9", "nul\x01", "~!@#$%^&*()_+{}[]:;'<>,.?/");
  CAPTURE(text);
  for (std::optional<double> threshold : {std::optional<double>{}, std::optional<double>{0.25}}) {
    Service s{.id = "id-" + text, .name = "s" + text, .node = "n", .address = text, .port = 53, .tags = {text, "t2"},
              .meta = {{"k", text}, {text + "key", "v"}}, .weights = {3, 4294967295u}, .protect_threshold = threshold,
              .source = "api"};
    std::string json = encode_service(s);
    CHECK(json == canonical(json));
    auto back = decode_service(kv_of(json, 0, 0));
    REQUIRE(back);
    CHECK(*back == s);
  }
  Service bare;
  bare.id = "a";
  bare.name = "b";
  CHECK(encode_service(bare) ==
        R"({"Address":"","ID":"a","Meta":{},"Node":"","Port":0,"Service":"b","Source":"","Tags":[],)"
        R"("Weights":{"Passing":1,"Warning":1}})");

  Node node{.name = "n-" + text, .address = text, .datacenter = "dc1", .meta = {{"a", text}, {"b", ""}}};
  std::string nj = encode_node(node);
  CHECK(nj == canonical(nj));
  auto nb = decode_node(kv_of(nj, 0, 0));
  REQUIRE(nb);
  CHECK(*nb == node);

  Check c{.id = "c-" + text, .name = text, .node = "n", .service_id = text, .status = Health::critical,
          .output = text, .notes = text, .definition = R"({"ttl":"10s"})"};
  std::string cj = encode_check(c);
  CHECK(cj == canonical(cj));
  auto cb = decode_check(kv_of(cj, 0, 0));
  REQUIRE(cb);
  CHECK(*cb == c);
}

}  // namespace
}  // namespace beacon::catalog
