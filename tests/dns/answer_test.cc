// Table-driven tests of the answer layer: (qname, qtype) -> (rcode, flags, sections).
#include <catch2/catch.hpp>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

// A small catalog used by most cases.
struct Catalog : Fixture {
  Catalog() : Catalog(default_config()) {}
  explicit Catalog(config::Config cfg) : Fixture(cfg) {
    node("n2", "10.0.0.2", {{"rack", "r1"}, {"a=b", "c`d"}});
    service("agent1", "web-1", "web", "10.1.0.1", 80, {"v1", "primary"});
    service("n2", "web-2", "web", "10.1.0.2", 80, {"v1"});
    service("n2", "web-3", "web", "", 8080, {"v2"});
    service("agent1", "api-1", "api", "", 9090, {}, {"passing"});
    service("n2", "db-1", "db", "10.2.0.1", 5432, {}, {"critical"});
    service("agent1", "cache-1", "cache", "10.3.0.1", 6379, {}, {"warning"}, {10, 3});
    service("agent1", "v6-1", "v6svc", "2001:db8::1", 443);
  }
  std::string soa() const {
    return "consul. 0 IN SOA ns.consul. hostmaster.consul. " + std::to_string(zone().serial) + " 3600 600 86400 0";
  }
};

TEST_CASE("service lookups answer healthy instances", "[dns][answer]") {
  Catalog f;
  const std::string soa = f.soa();
  const std::vector<DnsCase> cases = {
      {"web.service.consul.", kTypeA, "NOERROR", "qr aa rd",
       {"web.service.consul. 0 IN A 10.1.0.1", "web.service.consul. 0 IN A 10.1.0.2",
        "web.service.consul. 0 IN A 10.0.0.2"}, {}, {}},
      {"web.service.dc1.consul.", kTypeA, "NOERROR", "qr aa rd",
       {"web.service.dc1.consul. 0 IN A 10.1.0.1", "web.service.dc1.consul. 0 IN A 10.1.0.2",
        "web.service.dc1.consul. 0 IN A 10.0.0.2"}, {}, {}},
      {"web.service.dc1.dc.consul.", kTypeA, "NOERROR", "qr aa rd",
       {"web.service.dc1.dc.consul. 0 IN A 10.1.0.1", "web.service.dc1.dc.consul. 0 IN A 10.1.0.2",
        "web.service.dc1.dc.consul. 0 IN A 10.0.0.2"}, {}, {}},
      {"v1.web.service.consul.", kTypeA, "NOERROR", "qr aa rd",
       {"v1.web.service.consul. 0 IN A 10.1.0.1", "v1.web.service.consul. 0 IN A 10.1.0.2"}, {}, {}},
      {"v2.web.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"v2.web.service.consul. 0 IN SRV 1 1 8080 n2.node.dc1.consul."}, {},
       {"n2.node.dc1.consul. 0 IN A 10.0.0.2"}},
      {"web.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"web.service.consul. 0 IN SRV 1 1 80 0a010001.addr.dc1.consul.",
        "web.service.consul. 0 IN SRV 1 1 80 0a010002.addr.dc1.consul.",
        "web.service.consul. 0 IN SRV 1 1 8080 n2.node.dc1.consul."},
       {},
       {"0a010001.addr.dc1.consul. 0 IN A 10.1.0.1", "0a010002.addr.dc1.consul. 0 IN A 10.1.0.2",
        "n2.node.dc1.consul. 0 IN A 10.0.0.2"}},
      {"_web._v1.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"_web._v1.service.consul. 0 IN SRV 1 1 80 0a010001.addr.dc1.consul.",
        "_web._v1.service.consul. 0 IN SRV 1 1 80 0a010002.addr.dc1.consul."},
       {},
       {"0a010001.addr.dc1.consul. 0 IN A 10.1.0.1", "0a010002.addr.dc1.consul. 0 IN A 10.1.0.2"}},
      {"_api._tcp.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"_api._tcp.service.consul. 0 IN SRV 1 1 9090 agent1.node.dc1.consul."}, {},
       {"agent1.node.dc1.consul. 0 IN A 10.0.0.1"}},
      {"_api._tcp.consul.", kTypeSrv, "NOERROR", "qr aa rd",  // ".service" is optional in RFC 2782 form
       {"_api._tcp.consul. 0 IN SRV 1 1 9090 agent1.node.dc1.consul."}, {},
       {"agent1.node.dc1.consul. 0 IN A 10.0.0.1"}},
      {"_api._tcp.dc1.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"_api._tcp.dc1.consul. 0 IN SRV 1 1 9090 agent1.node.dc1.consul."}, {},
       {"agent1.node.dc1.consul. 0 IN A 10.0.0.1"}},
      {"cache.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",  // warning: weights.warning
       {"cache.service.consul. 0 IN SRV 1 3 6379 0a030001.addr.dc1.consul."}, {},
       {"0a030001.addr.dc1.consul. 0 IN A 10.3.0.1"}},
      {"v6svc.service.consul.", kTypeAaaa, "NOERROR", "qr aa rd", {"v6svc.service.consul. 0 IN AAAA 2001:db8::1"}, {}, {}},
      {"v6svc.service.consul.", kTypeA, "NOERROR", "qr aa rd", {}, {soa}, {}},
      {"v6svc.service.consul.", kTypeSrv, "NOERROR", "qr aa rd",
       {"v6svc.service.consul. 0 IN SRV 1 1 443 20010db8000000000000000000000001.addr.dc1.consul."}, {},
       {"20010db8000000000000000000000001.addr.dc1.consul. 0 IN AAAA 2001:db8::1"}},
      {"api.service.consul.", kTypeAny, "NOERROR", "qr aa rd", {"api.service.consul. 0 IN A 10.0.0.1"}, {}, {}},
      {"web.service.consul.", kTypeMx, "NOERROR", "qr aa rd", {}, {soa}, {}},
      {"db.service.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},  // critical
      {"nope.service.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"v9.web.service.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"web.service.dc2.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"web.service.a.b.c.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"service.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"web.query.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"foo.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"consul.", kTypeA, "NOERROR", "qr aa rd", {}, {soa}, {}},
      {"example.com.", kTypeA, "REFUSED", "qr rd", {}, {}, {}},
      {"notconsul.", kTypeA, "REFUSED", "qr rd", {}, {}, {}},
  };
  for (const DnsCase& c : cases) check_case(f, c);
}

TEST_CASE("node, addr, PTR, SOA and NS lookups", "[dns][answer]") {
  Catalog f;
  const std::string soa = f.soa();
  const std::string ns = "consul. 0 IN NS agent1.node.dc1.consul.";
  const std::string glue = "agent1.node.dc1.consul. 0 IN A 10.0.0.1";
  const std::vector<DnsCase> cases = {
      {"n2.node.consul.", kTypeA, "NOERROR", "qr aa rd", {"n2.node.consul. 0 IN A 10.0.0.2"}, {}, {}},
      {"n2.node.dc1.consul.", kTypeA, "NOERROR", "qr aa rd", {"n2.node.dc1.consul. 0 IN A 10.0.0.2"}, {}, {}},
      {"n2.node.consul.", kTypeAaaa, "NOERROR", "qr aa rd", {}, {soa}, {}},
      {"n2.node.consul.", kTypeTxt, "NOERROR", "qr aa rd",
       {"n2.node.consul. 0 IN TXT \"rack=r1\"", "n2.node.consul. 0 IN TXT \"a`=b=c``d\""}, {}, {}},
      {"ghost.node.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"0a000001.addr.consul.", kTypeA, "NOERROR", "qr aa rd", {"0a000001.addr.consul. 0 IN A 10.0.0.1"}, {}, {}},
      {"0a000001.addr.dc1.consul.", kTypeA, "NOERROR", "qr aa rd", {"0a000001.addr.dc1.consul. 0 IN A 10.0.0.1"}, {}, {}},
      {"0a000001.addr.consul.", kTypeAaaa, "NOERROR", "qr aa rd", {}, {soa}, {"0a000001.addr.consul. 0 IN A 10.0.0.1"}},
      {"20010db8000000000000000000000001.addr.consul.", kTypeAaaa, "NOERROR", "qr aa rd",
       {"20010db8000000000000000000000001.addr.consul. 0 IN AAAA 2001:db8::1"}, {}, {}},
      {"0a0000.addr.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"zz000001.addr.consul.", kTypeA, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"2.0.0.10.in-addr.arpa.", kTypePtr, "NOERROR", "qr aa rd", {"2.0.0.10.in-addr.arpa. 0 IN PTR n2.node.dc1.consul."}, {}, {}},
      {"1.0.1.10.in-addr.arpa.", kTypePtr, "NOERROR", "qr aa rd", {"1.0.1.10.in-addr.arpa. 0 IN PTR web.service.dc1.consul."}, {}, {}},
      {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", kTypePtr, "NOERROR", "qr aa rd",
       {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 0 IN PTR v6svc.service.dc1.consul."}, {}, {}},
      {"9.9.9.9.in-addr.arpa.", kTypePtr, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"0.10.in-addr.arpa.", kTypePtr, "NXDOMAIN", "qr aa rd", {}, {soa}, {}},
      {"consul.", kTypeSoa, "NOERROR", "qr aa rd", {soa}, {ns}, {glue}},
      {"consul.", kTypeNs, "NOERROR", "qr aa rd", {ns}, {}, {glue}},
      {"web.service.consul.", kTypeSoa, "NOERROR", "qr aa rd", {soa}, {ns}, {glue}},
  };
  for (const DnsCase& c : cases) check_case(f, c);
}

TEST_CASE("names match case-insensitively and the reply keeps the question's case", "[dns][answer]") {
  Catalog f;
  Reply r = f.ask("WeB.SeRvIcE.CoNsUl.", kTypeA);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.question == "WeB.SeRvIcE.CoNsUl.");
  REQUIRE(r.answer.size() == 3);
  CHECK(r.answer[0].rfind("WeB.SeRvIcE.CoNsUl. 0 IN A ", 0) == 0);
  Reply soa = f.ask("NOPE.service.CONSUL.", kTypeA);
  CHECK(soa.rcode == "NXDOMAIN");
  REQUIRE(soa.authority.size() == 1);
  CHECK(soa.authority[0].rfind("CONSUL. 0 IN SOA ns.CONSUL. hostmaster.CONSUL.", 0) == 0);
}

TEST_CASE("alt_domain answers the same names under its own suffix", "[dns][answer]") {
  config::Config cfg = Fixture::default_config();
  cfg.alt_domain = "beacon.internal";
  Catalog f(cfg);
  check_case(f, {"api.service.beacon.internal.", kTypeSrv, "NOERROR", "qr aa rd",
                 {"api.service.beacon.internal. 0 IN SRV 1 1 9090 agent1.node.dc1.beacon.internal."}, {},
                 {"agent1.node.dc1.beacon.internal. 0 IN A 10.0.0.1"}});
  check_case(f, {"api.service.consul.", kTypeA, "NOERROR", "qr aa rd", {"api.service.consul. 0 IN A 10.0.0.1"}, {}, {}});
  Reply r = f.ask("nope.service.beacon.internal.", kTypeA);
  CHECK(r.rcode == "NXDOMAIN");
  REQUIRE(r.authority.size() == 1);
  CHECK(r.authority[0].rfind("beacon.internal. 0 IN SOA ns.beacon.internal.", 0) == 0);
}

TEST_CASE("health: node checks, only_passing and weights", "[dns][answer][health]") {
  Catalog f;
  // A critical node check hides every instance on that node.
  f.node_check("n2", "serfHealth", catalog::Health::critical);
  Reply r = f.ask("web.service.consul.", kTypeA);
  CHECK(r.answer == std::vector<std::string>{"web.service.consul. 0 IN A 10.1.0.1"});
  f.node_check("n2", "serfHealth", catalog::Health::passing);
  CHECK(f.ask("web.service.consul.", kTypeA).answer.size() == 3);

  config::Config cfg = Fixture::default_config();
  cfg.dns_config.only_passing = true;
  f.reconfigure(cfg);
  CHECK(f.ask("cache.service.consul.", kTypeA).rcode == "NXDOMAIN");
  CHECK(f.ask("api.service.consul.", kTypeA).rcode == "NOERROR");

  // Maintenance is a critical check with Consul's reserved ID.
  catalog::Check maint;
  maint.id = "_service_maintenance:api-1";
  maint.name = "Service Maintenance Mode";
  maint.node = "agent1";
  maint.service_id = "api-1";
  maint.status = catalog::Health::critical;
  REQUIRE(f.writer().register_check(maint).has_value());
  CHECK(f.ask("api.service.consul.", kTypeA).rcode == "NXDOMAIN");
}

TEST_CASE("TTLs come from service_ttl, node_ttl and the SOA min_ttl", "[dns][answer]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.node_ttl = std::chrono::seconds(30);
  cfg.dns_config.service_ttl = {{"*", std::chrono::seconds(5)}, {"we*", std::chrono::seconds(7)},
                                {"web", std::chrono::seconds(10)}, {"w*", std::chrono::seconds(6)}};
  cfg.dns_config.soa.min_ttl = 60;
  Catalog f(cfg);
  f.service("agent1", "west-1", "west", "10.9.0.1", 1);
  f.service("agent1", "wx-1", "wx", "10.9.0.2", 1);
  CHECK(f.ask("web.service.consul.", kTypeA).answer[0].find(" 10 IN A ") != std::string::npos);
  CHECK(f.ask("west.service.consul.", kTypeA).answer[0].find(" 7 IN A ") != std::string::npos);
  CHECK(f.ask("wx.service.consul.", kTypeA).answer[0].find(" 6 IN A ") != std::string::npos);
  CHECK(f.ask("api.service.consul.", kTypeA).answer[0].find(" 5 IN A ") != std::string::npos);
  CHECK(f.ask("n2.node.consul.", kTypeA).answer[0].find(" 30 IN A ") != std::string::npos);
  Reply nx = f.ask("nope.service.consul.", kTypeA);
  REQUIRE(nx.authority.size() == 1);
  CHECK(nx.authority[0].find(" 60 IN SOA ") != std::string::npos);
  CHECK(nx.authority[0].substr(nx.authority[0].size() - 3) == " 60");
}

TEST_CASE("the SOA serial increases when the catalog changes", "[dns][answer]") {
  Catalog f;
  uint32_t before = f.zone().serial;
  f.service("agent1", "new-1", "new", "10.8.0.1", 1);
  CHECK(f.zone().serial > before);
}

TEST_CASE("EDNS: OPT in the reply with our size; BADVERS for version 1", "[dns][answer][edns]") {
  Catalog f;
  Reply r = f.ask("web.service.consul.", kTypeA, {.bufsize = 4096});
  CHECK(r.has_opt);
  CHECK(r.opt_udp_size == 1232);
  Reply plain = f.ask("web.service.consul.", kTypeA, {.edns = false});
  CHECK_FALSE(plain.has_opt);
  Reply bad = f.ask("web.service.consul.", kTypeA, {.edns_version = 1});
  CHECK(bad.rcode == "BADVERS");
  CHECK(bad.answer.empty());
  CHECK(bad.has_opt);
}

TEST_CASE("answers are shuffled per query", "[dns][answer]") {
  Catalog f;
  std::set<std::string> firsts;
  for (int i = 0; i < 60; ++i) firsts.insert(f.ask("web.service.consul.", kTypeA).answer.at(0));
  CHECK(firsts.size() == 3);
}

TEST_CASE("duplicate addresses give one A record and one SRV per target and port", "[dns][answer]") {
  Catalog f;
  f.service("agent1", "dup-1", "dup", "10.7.0.1", 80);
  f.service("n2", "dup-2", "dup", "10.7.0.1", 80);
  f.service("n2", "dup-3", "dup", "10.7.0.1", 81);
  CHECK(f.ask("dup.service.consul.", kTypeA).answer.size() == 1);
  Reply srv = f.ask("dup.service.consul.", kTypeSrv);
  CHECK(srv.answer.size() == 2);
  CHECK(srv.additional.size() == 1);  // one target, one glue record
}

TEST_CASE("TXT on a service gives each instance's meta as key=value", "[dns][answer]") {
  Catalog f;
  catalog::Service s;
  s.node = "agent1";
  s.id = "meta-1";
  s.name = "meta";
  s.address = "10.6.0.1";
  s.meta = {{"version", "1.2"}, {"zone", "a"}};
  REQUIRE(f.writer().register_service(s, {}).has_value());
  Reply r = f.ask("meta.service.consul.", kTypeTxt);
  CHECK(r.answer == std::vector<std::string>{"meta.service.consul. 0 IN TXT \"version=1.2\" \"zone=a\""});
  CHECK(f.ask("web.service.consul.", kTypeTxt).rcode == "NOERROR");  // no meta: NODATA
  CHECK(f.ask("web.service.consul.", kTypeTxt).answer.empty());
}

}  // namespace
}  // namespace beacon::dns::test
