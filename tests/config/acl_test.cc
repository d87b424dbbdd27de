// [acl]: policies, tokens and their errors.
#include <catch2/catch.hpp>

#include "config/loader.h"

namespace beacon::config {
namespace {

TEST_CASE("acl tokens are read with their policies", "[config][acl]") {
  auto c = load_string(R"(
[acl]
enabled = true
default_policy = "deny"
[[acl.tokens]]
secret = "0123456789abcdef"
description = "ops"
policy = "management"
[[acl.tokens]]
secret = "web-writer-secret"
policy = "write"
service_prefixes = ["web", "api-"]
[[acl.tokens]]
secret = "reader-secret"
)", "acl.toml");
  REQUIRE(c.has_value());
  CHECK(c->acl.enabled);
  CHECK(c->acl.default_policy == "deny");
  REQUIRE(c->acl.tokens.size() == 3);
  CHECK(c->acl.tokens[0].policy == "management");
  CHECK(c->acl.tokens[0].description == "ops");
  CHECK(c->acl.tokens[1].service_prefixes == std::vector<std::string>{"web", "api-"});
  CHECK(c->acl.tokens[2].policy == "read");
}

TEST_CASE("acl defaults: off and allow", "[config][acl]") {
  auto c = load_string("", "empty.toml");
  REQUIRE(c.has_value());
  CHECK_FALSE(c->acl.enabled);
  CHECK(c->acl.default_policy == "allow");
  CHECK(c->acl.tokens.empty());
}

TEST_CASE("acl errors name the key and never show the secret", "[config][acl]") {
  struct Case {
    const char* toml;
    const char* expect;
  };
  const Case cases[] = {
      {"[acl]\ndefault_policy = \"maybe\"\n", "acl.toml:2:18: acl.default_policy: \"maybe\" is not one of allow, deny"},
      {"[acl]\nenabled = \"yes\"\n", "acl.toml:2:11: acl.enabled:"},
      {"[acl]\nbogus = 1\n", "acl.toml:2:1: acl.bogus: unknown key"},
      {"[[acl.tokens]]\npolicy = \"read\"\n", "acl.tokens[0].secret: is required"},
      {"[[acl.tokens]]\nsecret = \"short\"\n", "acl.tokens[0].secret: must be at least 8 characters"},
      {"[[acl.tokens]]\nsecret = \"0123456789\"\npolicy = \"root\"\n", "acl.tokens[0].policy: \"root\" is not one of"},
      {"[[acl.tokens]]\nsecret = \"0123456789\"\npolicy = \"write\"\n", "acl.tokens[0].service_prefixes: is required"},
      {"[[acl.tokens]]\nsecret = \"0123456789\"\nservice_prefixes = [\"a\"]\n", "applies only to write tokens"},
      {"[[acl.tokens]]\nsecret = \"0123456789\"\n[[acl.tokens]]\nsecret = \"0123456789\"\n",
       "acl.tokens[1].secret: is the same as another token's"},
  };
  for (const Case& c : cases) {
    INFO(c.toml);
    auto got = load_string(c.toml, "acl.toml");
    REQUIRE_FALSE(got.has_value());
    CHECK_THAT(got.error().message, Catch::Contains(c.expect));
    CHECK_THAT(got.error().message, !Catch::Contains("0123456789"));
  }
}

}  // namespace
}  // namespace beacon::config
