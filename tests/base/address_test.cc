// The address, name and meta checks in base/address.h and base/meta.h.
#include "base/address.h"

#include <catch2/catch.hpp>
#include <string>

#include "base/meta.h"

namespace beacon::base {
namespace {

TEST_CASE("is_dns_label and is_ip_literal", "[base][address]") {
  CHECK(is_dns_label("Node-1"));
  CHECK_FALSE(is_dns_label(""));
  CHECK_FALSE(is_dns_label("a_b"));
  CHECK_FALSE(is_dns_label("a.b"));
  CHECK_FALSE(is_dns_label(std::string(64, 'x')));
  CHECK(is_ip_literal("127.0.0.1"));
  CHECK(is_ip_literal("::1"));
  CHECK(is_ip_literal("2001:db8::1"));
  CHECK_FALSE(is_ip_literal("[::1]"));
  CHECK_FALSE(is_ip_literal("localhost"));
  CHECK_FALSE(is_ip_literal("1.2.3.4:53"));
}

TEST_CASE("is_host_name", "[base][address]") {
  CHECK(is_host_name("etcd-1.example.com"));
  CHECK(is_host_name("a"));
  CHECK(is_host_name("1a"));
  CHECK(is_host_name("a.1b"));
  CHECK_FALSE(is_host_name("1.2.3.4"));
  CHECK_FALSE(is_host_name("a.123"));
  CHECK_FALSE(is_host_name(""));
  CHECK_FALSE(is_host_name("a_b"));
}

TEST_CASE("check_host_port", "[base][address]") {
  CHECK(check_host_port("localhost:80", false).has_value());
  CHECK(check_host_port("[::1]:80", false).has_value());
  CHECK(check_host_port("svc:9000/pkg.Health", true).has_value());
  CHECK(check_host_port("[::1]:9000/pkg.Health", true).has_value());
  CHECK_FALSE(check_host_port("svc:9000/pkg.Health", false).has_value());
  CHECK_FALSE(check_host_port(":80", false).has_value());
  CHECK_FALSE(check_host_port("::1:80", false).has_value());
  CHECK_FALSE(check_host_port("host", false).has_value());
}

TEST_CASE("parse_ip and ip_to_text round-trip", "[base][address]") {
  CHECK(parse_ip("10.1.0.1") == std::string("\x0a\x01\x00\x01", 4));
  CHECK(parse_ip("::1").value().size() == 16);
  CHECK_FALSE(parse_ip("10.1.0.256").has_value());
  CHECK_FALSE(parse_ip("").has_value());
  CHECK_FALSE(parse_ip(std::string(100, '1')).has_value());
  CHECK(ip_to_text(*parse_ip("2001:0db8::0001")) == "2001:db8::1");
  CHECK(ip_to_text("abc").empty());
}

TEST_CASE("check_meta_pair", "[base][meta]") {
  CHECK(check_meta_pair("version", "1.0").has_value());
  CHECK(check_meta_pair("a-b_C9", "").has_value());
  CHECK(check_meta_pair(std::string(128, 'k'), std::string(512, 'v')).has_value());
  CHECK_FALSE(check_meta_pair("", "v").has_value());
  CHECK_FALSE(check_meta_pair(std::string(129, 'k'), "v").has_value());
  CHECK_FALSE(check_meta_pair("k", std::string(513, 'v')).has_value());
  CHECK_FALSE(check_meta_pair("a.b", "v").has_value());
  CHECK_FALSE(check_meta_pair("consul-version", "v").has_value());
}

}  // namespace
}  // namespace beacon::base
