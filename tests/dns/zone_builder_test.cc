// ZoneBuilder: incremental rebuilds share untouched entries; settings and helpers.
#include <catch2/catch.hpp>

#include "dns/name.h"
#include "dns/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

TEST_CASE("a change rebuilds only the services it touches", "[dns][zone]") {
  Fixture f;
  f.service("agent1", "a-1", "alpha", "10.1.0.1", 1);
  f.service("agent1", "b-1", "beta", "10.1.0.2", 1);
  const ServiceEntry* alpha_before = f.zone().services.find("alpha");
  const ServiceEntry* beta_before = f.zone().services.find("beta");
  REQUIRE(alpha_before);
  REQUIRE(beta_before);
  auto keep = f.builder().current();  // keep the old zone alive so pointers stay valid
  f.service("agent1", "b-2", "beta", "10.1.0.3", 1);
  CHECK(f.zone().services.find("alpha") == alpha_before);  // shared, not rebuilt
  CHECK(f.zone().services.find("beta") != beta_before);
  CHECK(f.zone().services.find("beta")->all.a.size() == 2);
}

TEST_CASE("a node change rebuilds the services on that node", "[dns][zone]") {
  Fixture f;
  f.node("n2", "10.0.0.2");
  f.service("n2", "a-1", "alpha", "", 1);
  CHECK(f.ask("alpha.service.consul.", kTypeA).answer == std::vector<std::string>{"alpha.service.consul. 0 IN A 10.0.0.2"});
  f.node("n2", "10.0.0.9");
  CHECK(f.ask("alpha.service.consul.", kTypeA).answer == std::vector<std::string>{"alpha.service.consul. 0 IN A 10.0.0.9"});
  CHECK(f.ask("9.0.0.10.in-addr.arpa.", kTypePtr).rcode == "NOERROR");
  CHECK(f.ask("2.0.0.10.in-addr.arpa.", kTypePtr).rcode == "NXDOMAIN");
  REQUIRE(f.writer().deregister_node("n2").has_value());
  CHECK(f.ask("alpha.service.consul.", kTypeA).rcode == "NXDOMAIN");
  CHECK(f.ask("n2.node.consul.", kTypeA).rcode == "NXDOMAIN");
}

TEST_CASE("deregistering the last instance removes the name", "[dns][zone]") {
  Fixture f;
  f.service("agent1", "a-1", "alpha", "10.1.0.1", 1);
  CHECK(f.ask("alpha.service.consul.", kTypeA).rcode == "NOERROR");
  REQUIRE(f.writer().deregister_service("agent1", "a-1").has_value());
  CHECK(f.ask("alpha.service.consul.", kTypeA).rcode == "NXDOMAIN");
}

TEST_CASE("protect_threshold answers with every instance when too few are healthy", "[dns][zone]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.protect_threshold = 0.5;
  Fixture f(cfg);
  f.service("agent1", "p-1", "p", "10.1.0.1", 1, {}, {"passing"});
  f.service("agent1", "p-2", "p", "10.1.0.2", 1, {}, {"critical"});
  f.service("agent1", "p-3", "p", "10.1.0.3", 1, {}, {"critical"});
  // 1 of 3 healthy is below 0.5: fail open.
  CHECK(f.ask("p.service.consul.", kTypeA).answer.size() == 3);
  REQUIRE(f.builder().protect_transitions().size() == 1);  // entered with the third instance
  CHECK(f.builder().protect_transitions()[0] == std::make_pair(std::string("p"), true));
  f.service("agent1", "p-4", "p", "10.1.0.4", 1, {}, {"passing"});
  // 2 of 4 is not below 0.5 (strict): only the healthy ones.
  CHECK(f.ask("p.service.consul.", kTypeA).answer.size() == 2);
  REQUIRE(f.builder().protect_transitions().size() == 1);
  CHECK(f.builder().protect_transitions()[0] == std::make_pair(std::string("p"), false));
}

TEST_CASE("service_ttl: exact, then longest prefix, then star", "[dns][zone]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.service_ttl = {{"*", std::chrono::seconds(1)}, {"a*", std::chrono::seconds(2)},
                                {"ab*", std::chrono::seconds(3)}, {"abc", std::chrono::seconds(4)}};
  ZoneBuilder b(cfg);
  CHECK(b.service_ttl("abc") == 4);
  CHECK(b.service_ttl("abd") == 3);
  CHECK(b.service_ttl("ax") == 2);
  CHECK(b.service_ttl("zzz") == 1);
  CHECK(b.service_ttl("ABC") == 4);
  cfg.dns_config.service_ttl.clear();
  CHECK(ZoneBuilder(cfg).service_ttl("abc") == 0);
}

TEST_CASE("RFC 1464 escaping of node meta", "[dns][zone]") {
  auto text = [](const std::string& k, const std::string& v) {
    std::string rdata = meta_txt_rdata(k, v);
    return rdata.substr(1);
  };
  CHECK(text("rack", "r1") == "rack=r1");
  CHECK(text("a=b", "c") == "a`=b=c");
  CHECK(text("a`b", "c`d") == "a``b=c``d");
  CHECK(text(" k ", "v") == "` k` =v");
  CHECK(text("rfc1035-raw", "just the value") == "just the value");
}

TEST_CASE("name helpers", "[dns][name]") {
  CHECK(text_to_labels("Web.Service.consul.") == std::string("\3web\7service\6consul"));
  CHECK(!text_to_labels("a..b").has_value());
  CHECK(!text_to_labels(std::string(64, 'a')).has_value());
  CHECK(labels_to_text(std::string("\3web\6consul\0", 12)) == "web.consul.");
  CHECK(hex_address(*parse_ip("10.1.0.1")) == "0a010001");
  CHECK(hex_address(*parse_ip("2001:db8::1")) == "20010db8000000000000000000000001");
  CHECK(parse_hex_address("0A010001") == parse_ip("10.1.0.1"));
  CHECK(!parse_hex_address("0a01000").has_value());
  CHECK(parse_reverse(std::string("\1\x31\1\x30\1\x31\2\x31\x30", 9), false) == parse_ip("10.1.0.1"));
  CHECK(!parse_reverse(std::string("\1\x31\1\x30\1\x31", 6), false).has_value());
  CHECK(ip_to_text(*parse_ip("::1")) == "::1");
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

TEST_CASE("service names that differ only in case answer together", "[dns][zone]") {
  Fixture f;
  f.service("agent1", "w-1", "Web", "10.1.0.1", 1);
  f.service("agent1", "w-2", "web", "10.1.0.2", 1);
  CHECK(f.ask("web.service.consul.", kTypeA).answer.size() == 2);
  REQUIRE(f.writer().deregister_service("agent1", "w-2").has_value());
  CHECK(f.ask("WEB.service.consul.", kTypeA).answer.size() == 1);
  // Renaming across case keeps the name answered.
  f.service("agent1", "w-1", "wEB", "10.1.0.1", 1);
  CHECK(f.ask("web.service.consul.", kTypeA).answer.size() == 1);
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

TEST_CASE("the reverse map follows registrations incrementally", "[dns][zone][ptr]") {
  Fixture f;
  auto ptr = [&](const std::string& name) {
    Reply r = f.ask(name, kTypePtr);
    return r.rcode == "NOERROR" && r.answer.size() == 1 ? r.answer[0].substr(r.answer[0].rfind(' ') + 1) : r.rcode;
  };
  f.service("agent1", "a-1", "alpha", "10.9.0.1", 1);
  f.service("agent1", "b-1", "beta", "10.9.0.1", 1);  // two services share an address
  CHECK(ptr("1.0.9.10.in-addr.arpa.") == "alpha.service.dc1.consul.");  // smallest name wins
  REQUIRE(f.writer().deregister_service("agent1", "a-1").has_value());
  CHECK(ptr("1.0.9.10.in-addr.arpa.") == "beta.service.dc1.consul.");
  // A node claiming the address wins over services; when it moves away the service is back.
  f.node("n9", "10.9.0.1");
  CHECK(ptr("1.0.9.10.in-addr.arpa.") == "n9.node.dc1.consul.");
  f.node("n9", "10.9.0.2");
  CHECK(ptr("1.0.9.10.in-addr.arpa.") == "beta.service.dc1.consul.");
  CHECK(ptr("2.0.9.10.in-addr.arpa.") == "n9.node.dc1.consul.");
  REQUIRE(f.writer().deregister_service("agent1", "b-1").has_value());
  CHECK(ptr("1.0.9.10.in-addr.arpa.") == "NXDOMAIN");
  // A full rebuild (reload) gives the same map.
  f.reconfigure(Fixture::default_config());
  CHECK(ptr("2.0.9.10.in-addr.arpa.") == "n9.node.dc1.consul.");
  CHECK(ptr("1.0.0.10.in-addr.arpa.") == "agent1.node.dc1.consul.");
}

}  // namespace
}  // namespace beacon::dns::test
