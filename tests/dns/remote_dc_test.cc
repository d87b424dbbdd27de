// Names of another datacenter ("<name>.service.<dc>", "<node>.node.<dc>") answered from that
// datacenter's own zone (Zone::remote, ZoneBuilder::set_remote).
#include <catch2/catch.hpp>

#include <algorithm>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

config::Config dc2_config() {
  config::Config c = Fixture::default_config();
  c.node_name = "agent2";
  c.datacenter = "dc2";
  c.bind_addr = "10.20.0.1";
  return c;
}

// Sends `qname qtype` to `zone` through dns::answer() and decodes the reply.
Reply ask_zone(const Zone& zone, const std::string& qname, uint16_t qtype, AskOptions opt = {}) {
  static Scratch scratch;
  static std::vector<uint8_t> out(65535);
  std::vector<uint8_t> q = make_query(qname, qtype, opt);
  Result res = answer(zone, q.data(), q.size(), opt.tcp ? Transport::tcp : Transport::udp, out.data(), out.size(),
                      scratch);
  return decode(out.data(), res.size);
}

std::shared_ptr<const RemoteZones> remotes(std::vector<std::pair<std::string, std::shared_ptr<const Zone>>> zones) {
  return std::make_shared<const RemoteZones>(std::move(zones));
}

// dc1: agent1 (10.0.0.1) with api only. dc2: agent2 (10.20.0.1) and n21 (10.20.0.21), with
// web on both (web-a with its own address, web-b on the node's) and db only critical.
struct TwoDcs {
  TwoDcs() : dc2(dc2_config()) {
    REQUIRE(dc1.replica().keyspace().datacenter() == "dc1");
    REQUIRE(dc2.replica().keyspace().datacenter() == "dc2");
    REQUIRE(dc2.replica().keyspace().prefix() == "beacon/");
    dc1.service("agent1", "api-1", "api", "10.1.0.1", 9090);

    dc2.node("n21", "10.20.0.21", {{"rack", "r2"}});
    dc2.service("agent2", "web-a", "web", "10.21.0.1", 80, {"v1"});
    dc2.service("n21", "web-b", "web", "", 8080, {"v2"});
    dc2.service("n21", "db-1", "db", "10.21.0.9", 5432, {}, {"critical"});
  }
  // Points dc1 at dc2's current zone and rebuilds dc1's zone (an empty change suffices).
  std::shared_ptr<const Zone> link() {
    dc1.builder().set_remote(remotes({{"dc2", dc2.builder().current()}}));
    return dc1.builder().build(dc1.replica(), catalog::Change{});
  }
  std::string soa1(const Zone& z) const {
    return "consul. 0 IN SOA ns.consul. hostmaster.consul. " + std::to_string(z.serial) + " 3600 600 86400 0";
  }

  Fixture dc1;
  Fixture dc2;
};

TEST_CASE("remote dc: services of another datacenter come from its zone", "[dns][remote]") {
  TwoDcs t;
  auto z1 = t.link();
  REQUIRE(z1->remote);
  REQUIRE(z1->remote_zone("dc2") == t.dc2.builder().current().get());
  CHECK(z1->remote_zone("dc1") == nullptr);
  CHECK(z1->remote_zone("dc3") == nullptr);

  SECTION("A") {
    Reply r = ask_zone(*z1, "web.service.dc2.consul.", kTypeA);
    REQUIRE(r.ok);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.flags == "qr aa rd");
    CHECK(sorted(r.answer) == sorted({"web.service.dc2.consul. 0 IN A 10.21.0.1",
                                      "web.service.dc2.consul. 0 IN A 10.20.0.21"}));
    CHECK(r.authority.empty());
  }
  SECTION("A with the .dc form") {
    Reply r = ask_zone(*z1, "web.service.dc2.dc.consul.", kTypeA);
    CHECK(r.rcode == "NOERROR");
    CHECK(sorted(r.answer) == sorted({"web.service.dc2.dc.consul. 0 IN A 10.21.0.1",
                                      "web.service.dc2.dc.consul. 0 IN A 10.20.0.21"}));
  }
  SECTION("a tag") {
    Reply r = ask_zone(*z1, "v2.web.service.dc2.consul.", kTypeA);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer == std::vector<std::string>{"v2.web.service.dc2.consul. 0 IN A 10.20.0.21"});
  }
  SECTION("SRV targets name the other datacenter") {
    Reply r = ask_zone(*z1, "web.service.dc2.consul.", kTypeSrv);
    CHECK(r.rcode == "NOERROR");
    CHECK(sorted(r.answer) == sorted({"web.service.dc2.consul. 0 IN SRV 1 1 80 0a150001.addr.dc2.consul.",
                                      "web.service.dc2.consul. 0 IN SRV 1 1 8080 n21.node.dc2.consul."}));
    CHECK(sorted(r.additional) == sorted({"0a150001.addr.dc2.consul. 0 IN A 10.21.0.1",
                                          "n21.node.dc2.consul. 0 IN A 10.20.0.21"}));
  }
  SECTION("RFC 2782 SRV") {
    Reply r = ask_zone(*z1, "_web._tcp.service.dc2.consul.", kTypeSrv);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer.size() == 2);
    r = ask_zone(*z1, "_web._v1.dc2.consul.", kTypeSrv);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer == std::vector<std::string>{"_web._v1.dc2.consul. 0 IN SRV 1 1 80 0a150001.addr.dc2.consul."});
  }
  SECTION("nodes") {
    Reply r = ask_zone(*z1, "n21.node.dc2.consul.", kTypeA);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer == std::vector<std::string>{"n21.node.dc2.consul. 0 IN A 10.20.0.21"});
    r = ask_zone(*z1, "agent2.node.dc2.dc.consul.", kTypeA);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer == std::vector<std::string>{"agent2.node.dc2.dc.consul. 0 IN A 10.20.0.1"});
    r = ask_zone(*z1, "n21.node.dc2.consul.", kTypeTxt);
    CHECK(r.answer == std::vector<std::string>{"n21.node.dc2.consul. 0 IN TXT \"rack=r2\""});
    // dc1's own node is not in dc2, and dc2's is not in dc1.
    r = ask_zone(*z1, "agent1.node.dc2.consul.", kTypeA);
    CHECK(r.rcode == "NXDOMAIN");
    r = ask_zone(*z1, "n21.node.consul.", kTypeA);
    CHECK(r.rcode == "NXDOMAIN");
  }
  SECTION("the local datacenter is still answered locally") {
    Reply r = ask_zone(*z1, "api.service.consul.", kTypeA);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer == std::vector<std::string>{"api.service.consul. 0 IN A 10.1.0.1"});
    r = ask_zone(*z1, "api.service.dc1.consul.", kTypeA);
    CHECK(r.answer == std::vector<std::string>{"api.service.dc1.consul. 0 IN A 10.1.0.1"});
    // dc1 has no web: no fall-through to dc2.
    r = ask_zone(*z1, "web.service.consul.", kTypeA);
    CHECK(r.rcode == "NXDOMAIN");
    CHECK(r.answer.empty());
    CHECK(r.authority == std::vector<std::string>{t.soa1(*z1)});
    r = ask_zone(*z1, "web.service.dc1.consul.", kTypeA);
    CHECK(r.rcode == "NXDOMAIN");
    // ... and dc2 has no api.
    r = ask_zone(*z1, "api.service.dc2.consul.", kTypeA);
    CHECK(r.rcode == "NXDOMAIN");
  }
}

TEST_CASE("remote dc: names that are not there are NXDOMAIN with an SOA", "[dns][remote]") {
  TwoDcs t;
  auto z1 = t.link();

  // A datacenter this agent does not follow.
  Reply r = ask_zone(*z1, "web.service.dc3.consul.", kTypeA);
  REQUIRE(r.ok);
  CHECK(r.rcode == "NXDOMAIN");
  CHECK(r.flags == "qr aa rd");
  CHECK(r.answer.empty());
  CHECK(r.authority == std::vector<std::string>{t.soa1(*z1)});
  r = ask_zone(*z1, "n21.node.dc3.consul.", kTypeA);
  CHECK(r.rcode == "NXDOMAIN");
  CHECK(r.authority == std::vector<std::string>{t.soa1(*z1)});

  // A service, tag or node dc2 does not have.
  for (const char* name : {"nope.service.dc2.consul.", "db.service.dc2.consul." /* critical only */,
                           "v9.web.service.dc2.consul.", "ghost.node.dc2.consul."}) {
    CAPTURE(name);
    r = ask_zone(*z1, name, kTypeA);
    REQUIRE(r.ok);
    CHECK(r.rcode == "NXDOMAIN");
    CHECK(r.flags == "qr aa rd");
    CHECK(r.answer.empty());
    REQUIRE(r.authority.size() == 1);
    CHECK(r.authority[0].starts_with("consul. 0 IN SOA ns.consul. hostmaster.consul. "));
  }

  // A dc2 name with records of another type only: NODATA.
  r = ask_zone(*z1, "web.service.dc2.consul.", kTypeAaaa);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer.empty());
  REQUIRE(r.authority.size() == 1);
  CHECK(r.authority[0].starts_with("consul. 0 IN SOA ns.consul. hostmaster.consul. "));

  // Too many locality labels stays NXDOMAIN.
  r = ask_zone(*z1, "web.service.dc2.x.consul.", kTypeA);
  CHECK(r.rcode == "NXDOMAIN");
}

TEST_CASE("remote dc: the datacenter label is case-insensitive", "[dns][remote]") {
  TwoDcs t;
  auto z1 = t.link();
  for (const char* name : {"web.service.DC2.consul.", "WEB.Service.Dc2.CONSUL.", "web.service.DC2.DC.consul."}) {
    CAPTURE(name);
    Reply r = ask_zone(*z1, name, kTypeA);
    REQUIRE(r.ok);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.answer.size() == 2);
    CHECK(r.question == name);  // the reply keeps the question's case
  }
  Reply r = ask_zone(*z1, "N21.NODE.DC2.CONSUL.", kTypeA);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{"N21.NODE.DC2.CONSUL. 0 IN A 10.20.0.21"});
}

TEST_CASE("remote dc: without set_remote other datacenters are NXDOMAIN", "[dns][remote]") {
  TwoDcs t;
  // The fixture's own zone, and an explicit build, both without remote zones.
  for (const Zone* z : {&t.dc1.zone(), t.dc1.builder().build(t.dc1.replica(), catalog::Change{}).get()}) {
    CHECK(z->remote == nullptr);
    CHECK(z->remote_zone("dc2") == nullptr);
    Reply r = ask_zone(*z, "web.service.dc2.consul.", kTypeA);
    REQUIRE(r.ok);
    CHECK(r.rcode == "NXDOMAIN");
    CHECK(r.answer.empty());
    CHECK(r.authority == std::vector<std::string>{t.soa1(*z)});
    CHECK(ask_zone(*z, "n21.node.dc2.consul.", kTypeA).rcode == "NXDOMAIN");
  }
  // An empty list of remote zones, or one naming other datacenters, is the same.
  t.dc1.builder().set_remote(remotes({}));
  auto z = t.dc1.builder().build(t.dc1.replica(), catalog::Change{});
  CHECK(ask_zone(*z, "web.service.dc2.consul.", kTypeA).rcode == "NXDOMAIN");
  t.dc1.builder().set_remote(remotes({{"dc3", t.dc2.builder().current()}}));
  z = t.dc1.builder().build(t.dc1.replica(), catalog::Change{});
  CHECK(ask_zone(*z, "web.service.dc2.consul.", kTypeA).rcode == "NXDOMAIN");
  // Unsetting it again.
  t.dc1.builder().set_remote(remotes({{"dc2", t.dc2.builder().current()}}));
  z = t.dc1.builder().build(t.dc1.replica(), catalog::Change{});
  CHECK(ask_zone(*z, "web.service.dc2.consul.", kTypeA).rcode == "NOERROR");
  t.dc1.builder().set_remote(nullptr);
  z = t.dc1.builder().build(t.dc1.replica(), catalog::Change{});
  CHECK(ask_zone(*z, "web.service.dc2.consul.", kTypeA).rcode == "NXDOMAIN");
}

TEST_CASE("remote dc: answers follow an updated remote zone", "[dns][remote]") {
  TwoDcs t;
  auto z1 = t.link();
  auto old_dc2 = t.dc2.builder().current();
  CHECK(ask_zone(*z1, "web.service.dc2.consul.", kTypeA).answer.size() == 2);
  CHECK(ask_zone(*z1, "cache.service.dc2.consul.", kTypeA).rcode == "NXDOMAIN");

  // dc2 changes: a new service, one web instance gone, a new node.
  t.dc2.service("agent2", "cache-1", "cache", "10.21.0.5", 6379);
  REQUIRE(t.dc2.writer().deregister_service("agent2", "web-a").has_value());
  t.dc2.node("n22", "10.20.0.22");
  REQUIRE(t.dc2.builder().current() != old_dc2);

  // The zone dc1 published before still answers from the dc2 zone it holds.
  CHECK(ask_zone(*z1, "web.service.dc2.consul.", kTypeA).answer.size() == 2);
  CHECK(ask_zone(*z1, "cache.service.dc2.consul.", kTypeA).rcode == "NXDOMAIN");

  auto z2 = t.link();
  Reply r = ask_zone(*z2, "web.service.dc2.consul.", kTypeA);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{"web.service.dc2.consul. 0 IN A 10.20.0.21"});
  r = ask_zone(*z2, "cache.service.dc2.consul.", kTypeA);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{"cache.service.dc2.consul. 0 IN A 10.21.0.5"});
  r = ask_zone(*z2, "n22.node.dc2.consul.", kTypeA);
  CHECK(r.answer == std::vector<std::string>{"n22.node.dc2.consul. 0 IN A 10.20.0.22"});

  // A remote zone set on the builder also reaches zones built for ordinary catalog changes.
  t.dc2.service("n22", "web-c", "web", "10.21.0.3", 80);
  t.dc1.builder().set_remote(remotes({{"dc2", t.dc2.builder().current()}}));
  t.dc1.service("agent1", "api-2", "api", "10.1.0.2", 9090);  // a dc1 commit rebuilds dc1's zone
  r = t.dc1.ask("web.service.dc2.consul.", kTypeA);
  CHECK(r.rcode == "NOERROR");
  CHECK(sorted(r.answer) == sorted({"web.service.dc2.consul. 0 IN A 10.20.0.21",
                                    "web.service.dc2.consul. 0 IN A 10.21.0.3"}));
  CHECK(t.dc1.ask("api.service.consul.", kTypeA).answer.size() == 2);
}

TEST_CASE("remote dc: several remote datacenters", "[dns][remote]") {
  TwoDcs t;
  config::Config c3 = dc2_config();
  c3.datacenter = "dc3";
  c3.node_name = "agent3";
  c3.bind_addr = "10.30.0.1";
  Fixture dc3(c3);
  dc3.service("agent3", "web-z", "web", "10.31.0.1", 80);

  t.dc1.builder().set_remote(remotes({{"dc2", t.dc2.builder().current()}, {"dc3", dc3.builder().current()}}));
  auto z1 = t.dc1.builder().build(t.dc1.replica(), catalog::Change{});
  CHECK(ask_zone(*z1, "web.service.dc2.consul.", kTypeA).answer.size() == 2);
  Reply r = ask_zone(*z1, "web.service.dc3.consul.", kTypeSrv);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{"web.service.dc3.consul. 0 IN SRV 1 1 80 0a1f0001.addr.dc3.consul."});
  CHECK(ask_zone(*z1, "agent3.node.dc3.consul.", kTypeA).answer ==
        std::vector<std::string>{"agent3.node.dc3.consul. 0 IN A 10.30.0.1"});
  CHECK(ask_zone(*z1, "web.service.dc4.consul.", kTypeA).rcode == "NXDOMAIN");
}

TEST_CASE("remote dc: SOA and NS for a remote name come from the apex", "[dns][remote]") {
  TwoDcs t;
  auto z1 = t.link();
  Reply r = ask_zone(*z1, "web.service.dc2.consul.", kTypeSoa);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{t.soa1(*z1)});
  r = ask_zone(*z1, "web.service.dc2.consul.", kTypeNs);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer == std::vector<std::string>{"consul. 0 IN NS agent1.node.dc1.consul."});
}

TEST_CASE("remote dc: big remote answers are truncated over UDP and whole over TCP", "[dns][remote]") {
  TwoDcs t;
  for (int i = 1; i <= 60; ++i) {
    t.dc2.service("n21", "many-" + std::to_string(i), "many", "10.22.0." + std::to_string(i), 80);
  }
  auto z1 = t.link();
  Reply udp = ask_zone(*z1, "many.service.dc2.consul.", kTypeSrv, AskOptions{.tcp = false, .edns = false});
  REQUIRE(udp.ok);
  CHECK(udp.size <= 512);
  CHECK(udp.rcode == "NOERROR");
  CHECK(udp.answer.size() == 3);  // udp_answer_limit
  Reply tcp = ask_zone(*z1, "many.service.dc2.consul.", kTypeSrv, AskOptions{.tcp = true});
  REQUIRE(tcp.ok);
  CHECK(tcp.rcode == "NOERROR");
  CHECK(tcp.answer.size() == 60);
  CHECK(tcp.additional.size() == 60);
  // With EDNS the size limit applies (no answer limit): records are dropped and TC is set.
  Reply edns = ask_zone(*z1, "many.service.dc2.consul.", kTypeSrv, AskOptions{.bufsize = 1232});
  REQUIRE(edns.ok);
  CHECK(edns.size <= 1232);
  CHECK(edns.rcode == "NOERROR");
  CHECK(edns.flags == "qr aa tc rd");
  CHECK(edns.has_opt);
  CHECK(edns.answer.size() > 3);
  CHECK(edns.answer.size() < 60);
}

TEST_CASE("remote dc: answers use the remote zone's settings", "[dns][remote]") {
  Fixture dc1;
  config::Config c2 = dc2_config();
  c2.dns_config.service_ttl = {{"*", std::chrono::seconds(42)}};
  c2.dns_config.node_ttl = std::chrono::seconds(17);
  c2.dns_config.soa.min_ttl = 9;
  Fixture dc2(c2);
  dc2.service("agent2", "web-a", "web", "10.21.0.1", 80);
  dc1.service("agent1", "web-1", "web", "10.1.0.1", 80);
  dc1.builder().set_remote(remotes({{"dc2", dc2.builder().current()}}));
  auto z1 = dc1.builder().build(dc1.replica(), catalog::Change{});
  const Zone& z2 = *dc2.builder().current();

  CHECK(ask_zone(*z1, "web.service.dc2.consul.", kTypeA).answer ==
        std::vector<std::string>{"web.service.dc2.consul. 42 IN A 10.21.0.1"});
  CHECK(ask_zone(*z1, "agent2.node.dc2.consul.", kTypeA).answer ==
        std::vector<std::string>{"agent2.node.dc2.consul. 17 IN A 10.20.0.1"});
  CHECK(ask_zone(*z1, "web.service.consul.", kTypeA).answer ==
        std::vector<std::string>{"web.service.consul. 0 IN A 10.1.0.1"});
  // A negative answer for a dc2 name carries dc2's SOA (its serial and min TTL) under the
  // question's own spelling of the domain.
  Reply nx = ask_zone(*z1, "nope.service.dc2.CONSUL.", kTypeA);
  CHECK(nx.rcode == "NXDOMAIN");
  CHECK(nx.authority == std::vector<std::string>{"CONSUL. 9 IN SOA ns.CONSUL. hostmaster.CONSUL. " +
                                                 std::to_string(z2.serial) + " 3600 600 86400 9"});
  // The local one keeps dc1's.
  nx = ask_zone(*z1, "nope.service.CONSUL.", kTypeA);
  CHECK(nx.authority == std::vector<std::string>{"CONSUL. 0 IN SOA ns.CONSUL. hostmaster.CONSUL. " +
                                                 std::to_string(z1->serial) + " 3600 600 86400 0"});
}

}  // namespace
}  // namespace beacon::dns::test
