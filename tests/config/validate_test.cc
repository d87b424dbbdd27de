// The value checks in config/validate.h.
#include "config/validate.h"

#include <catch2/catch.hpp>
#include <string>

namespace beacon::config {
namespace {

TEST_CASE("normalize_domain", "[config][validate]") {
  CHECK(normalize_domain("Consul.").value() == "consul");
  CHECK(normalize_domain("a-b.c_d.E9").value() == "a-b.c_d.e9");
  CHECK(normalize_domain(std::string(63, 'a')).has_value());
  CHECK_FALSE(normalize_domain(std::string(64, 'a')).has_value());
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  long_name.pop_back();  // 255 characters
  CHECK_FALSE(normalize_domain(long_name).has_value());
  CHECK_FALSE(normalize_domain("").has_value());
  CHECK_FALSE(normalize_domain(".").has_value());
  CHECK_FALSE(normalize_domain(".consul").has_value());
  CHECK_FALSE(normalize_domain("consul..").has_value());
  CHECK_FALSE(normalize_domain("con*sul").has_value());
}

TEST_CASE("normalize_cidr", "[config][validate]") {
  CHECK(normalize_cidr("127.0.0.0/8").value() == "127.0.0.0/8");
  CHECK(normalize_cidr("10.1.2.3/16").value() == "10.1.0.0/16");
  CHECK(normalize_cidr("0.0.0.0/0").value() == "0.0.0.0/0");
  CHECK(normalize_cidr("::1/128").value() == "::1/128");
  CHECK(normalize_cidr("2001:DB8::ff/120").value() == "2001:db8::/120");
  CHECK_FALSE(normalize_cidr("10.0.0.0").has_value());
  CHECK_FALSE(normalize_cidr("10.0.0.0/").has_value());
  CHECK_FALSE(normalize_cidr("10.0.0.0/-1").has_value());
  CHECK_FALSE(normalize_cidr("10.0.0.0/8x").has_value());
  CHECK_FALSE(normalize_cidr("10.0.0.0/33").has_value());
}

TEST_CASE("check_recursor", "[config][validate]") {
  CHECK(check_recursor("8.8.8.8").has_value());
  CHECK(check_recursor("8.8.8.8:53").has_value());
  CHECK(check_recursor("::1").has_value());
  CHECK(check_recursor("[::1]:5353").has_value());
  CHECK_FALSE(check_recursor("dns.google").has_value());
  CHECK_FALSE(check_recursor("dns.google:53").has_value());
  CHECK_FALSE(check_recursor("[8.8.8.8]:53").has_value());
  CHECK_FALSE(check_recursor("8.8.8.8:").has_value());
  CHECK_FALSE(check_recursor("8.8.8.8:65536").has_value());

}

}  // namespace
}  // namespace beacon::config
