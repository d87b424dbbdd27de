// Answer caps (policy, no TC) and size-based truncation (TC), over UDP and TCP.
#include <catch2/catch.hpp>

#include <set>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

struct Big : Fixture {
  // Registers n instances of "big" in one transaction (one zone build, not n); `reversed`
  // registers them in the opposite order (the zone then holds them in another order).
  explicit Big(size_t n, config::Config cfg = default_config(), bool reversed = false) : Fixture(cfg) {
    catalog::Node self;
    self.name = "agent1";
    self.address = "10.0.0.1";
    self.datacenter = "dc1";
    std::vector<catalog::Service> services;
    for (size_t j = 1; j <= n; ++j) {
      size_t i = reversed ? n + 1 - j : j;
      catalog::Service s;
      s.node = "agent1";
      s.id = "big-" + std::to_string(i);
      s.name = "big";
      s.address = "10.5." + std::to_string(i / 256) + "." + std::to_string(i % 256);
      s.port = static_cast<uint16_t>(1000 + i);
      services.push_back(std::move(s));
    }
    REQUIRE(writer().sync_config_services(self, services, {}).has_value());
  }
};

// Every SRV target in the answer has its glue in additional, and there is no other glue.
void check_srv_glue(const Reply& r) {
  std::set<std::string> targets, glue;
  for (const std::string& rr : r.answer) targets.insert(rr.substr(rr.rfind(' ') + 1));
  for (const std::string& rr : r.additional) glue.insert(rr.substr(0, rr.find(' ')));
  CHECK(targets == glue);
}

TEST_CASE("udp_answer_limit caps answers without EDNS and does not set TC", "[dns][truncation]") {
  Big f(40);
  Reply r = f.ask("big.service.consul.", kTypeA, {.edns = false});
  CHECK(r.answer.size() == 3);
  CHECK(r.flags == "qr aa rd");
  Reply srv = f.ask("big.service.consul.", kTypeSrv, {.edns = false});
  CHECK(srv.answer.size() == 3);
  check_srv_glue(srv);
  // With EDNS the limit does not apply: only the size does.
  Reply edns = f.ask("big.service.consul.", kTypeA, {.bufsize = 4096});
  CHECK(edns.answer.size() == 40);
  CHECK(edns.flags == "qr aa rd");
}

TEST_CASE("records dropped to fit 512 bytes set TC; TCP gets everything", "[dns][truncation]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.udp_answer_limit = 0;
  Big f(40, cfg);
  Reply r = f.ask("big.service.consul.", kTypeA, {.edns = false});
  CHECK(r.size <= 512);
  CHECK(r.flags == "qr aa tc rd");
  CHECK(r.answer.size() > 3);
  CHECK(r.answer.size() < 40);
  // The reply is full: one more A record (16 bytes) would not have fit.
  CHECK(r.size + 16 > 512);

  Reply srv = f.ask("big.service.consul.", kTypeSrv, {.edns = false});
  CHECK(srv.size <= 512);
  CHECK(srv.flags == "qr aa tc rd");
  check_srv_glue(srv);

  Reply tcp = f.ask("big.service.consul.", kTypeSrv, {.tcp = true, .edns = false});
  CHECK(tcp.flags == "qr aa rd");
  CHECK(tcp.answer.size() == 40);
  check_srv_glue(tcp);
}

TEST_CASE("truncation: the client's EDNS size is honoured up to max_udp_size", "[dns][truncation]") {
  Big f(200);
  Reply small = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 700});
  CHECK(small.size <= 700);
  CHECK(small.flags == "qr aa tc rd");
  check_srv_glue(small);
  Reply big = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 65000});
  CHECK(big.size <= 8192);  // capped by max_udp_size
  CHECK(big.size > 8000);
  CHECK(big.flags == "qr aa tc rd");
  check_srv_glue(big);
  CHECK(big.opt_udp_size == 1232);  // our OPT advertises edns_udp_size, whatever we send
  Reply tiny = f.ask("big.service.consul.", kTypeA, {.bufsize = 100});
  CHECK(tiny.size <= 512);  // below 512 counts as 512
  CHECK(tiny.size > 400);
}

TEST_CASE("enable_truncate = false drops records silently, as Consul does", "[dns][truncation]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.udp_answer_limit = 0;
  cfg.dns_config.enable_truncate = false;
  Big f(40, cfg);
  Reply r = f.ask("big.service.consul.", kTypeA, {.edns = false});
  CHECK(r.flags == "qr aa rd");
  CHECK(r.answer.size() < 40);
}

TEST_CASE("a_record_limit caps A answers on both transports but not SRV", "[dns][truncation]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.a_record_limit = 2;
  Big f(10, cfg);
  CHECK(f.ask("big.service.consul.", kTypeA).answer.size() == 2);
  CHECK(f.ask("big.service.consul.", kTypeA, {.tcp = true}).answer.size() == 2);
  CHECK(f.ask("big.service.consul.", kTypeSrv).answer.size() == 10);
  CHECK(f.ask("big.service.consul.", kTypeA).flags == "qr aa rd");
}

TEST_CASE("TCP answers up to 65535 bytes and compresses glue owners past 16 KiB", "[dns][truncation]") {
  Big f(3000);
  Reply r = f.ask("big.service.consul.", kTypeSrv, {.tcp = true});
  REQUIRE(r.ok);
  CHECK(r.size <= 65535);
  CHECK(r.answer.size() > 800);  // ~74 bytes per SRV + glue once pointers run out
  check_srv_glue(r);
  Reply a = f.ask("big.service.consul.", kTypeA, {.tcp = true});
  CHECK(a.answer.size() == 3000);
}

// The instances an SRV answer names: "port target" of each record, sorted.
std::set<std::string> srv_set(const Reply& r) {
  std::set<std::string> out;
  for (const std::string& rr : r.answer) {
    size_t target = rr.rfind(' ');
    size_t port = rr.rfind(' ', target - 1);
    out.insert(rr.substr(port + 1));
  }
  return out;
}

TEST_CASE("truncation: HAProxy's accepted_payload_size 8192 gets a 100-instance SRV answer whole over UDP",
          "[dns][truncation][edns]") {
  Big f(100);
  Reply r = f.ask("_big._tcp.service.consul.", kTypeSrv, {.bufsize = 8192});
  REQUIRE(r.ok);
  CHECK(r.flags == "qr aa rd");
  CHECK(r.answer.size() == 100);
  CHECK(r.additional.size() == 100);
  check_srv_glue(r);
  CHECK(r.size > 1232);  // more than the old cap (edns_udp_size) allowed
  CHECK(r.size <= 8192);
  Reply a = f.ask("big.service.consul.", kTypeA, {.bufsize = 8192});
  CHECK(a.answer.size() == 100);
  CHECK(a.flags == "qr aa rd");
}

TEST_CASE("truncation: a full answer is still shuffled", "[dns][truncation][edns]") {
  Big f(100);
  std::set<std::string> firsts;
  for (int i = 0; i < 20; ++i) {
    Reply r = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 8192});
    REQUIRE(r.answer.size() == 100);
    firsts.insert(r.answer.front());
  }
  CHECK(firsts.size() > 1);  // 20 equal first records out of 100: chance 1e-38
}

TEST_CASE("truncation: every cut of the same answer holds the same instances", "[dns][truncation][edns]") {
  Big f(100);
  Reply first = f.ask("_big._tcp.service.consul.", kTypeSrv, {.bufsize = 1232});
  REQUIRE(first.ok);
  CHECK(first.flags == "qr aa tc rd");
  CHECK(first.size <= 1232);
  CHECK(first.answer.size() > 10);
  CHECK(first.answer.size() < 100);
  const std::set<std::string> kept = srv_set(first);
  for (int i = 0; i < 50; ++i) {
    Reply r = f.ask("_big._tcp.service.consul.", kTypeSrv, {.bufsize = 1232});
    CHECK(r.flags == "qr aa tc rd");
    CHECK(srv_set(r) == kept);
    check_srv_glue(r);
  }
  // A records cut to 512 bytes without EDNS (no answer cap): the same addresses every time.
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.udp_answer_limit = 0;
  Big g(100, cfg);
  Reply a0 = g.ask("big.service.consul.", kTypeA, {.edns = false});
  CHECK(a0.flags == "qr aa tc rd");
  CHECK(a0.size <= 512);
  std::set<std::string> addrs(a0.answer.begin(), a0.answer.end());
  for (int i = 0; i < 50; ++i) {
    Reply a = g.ask("big.service.consul.", kTypeA, {.edns = false});
    CHECK(std::set<std::string>(a.answer.begin(), a.answer.end()) == addrs);
  }
}

TEST_CASE("truncation: the cut does not depend on the order instances were registered in", "[dns][truncation][edns]") {
  Big forward(100);
  Big reversed(100, Fixture::default_config(), true);
  Reply a = forward.ask("big.service.consul.", kTypeSrv, {.bufsize = 1232});
  Reply b = reversed.ask("big.service.consul.", kTypeSrv, {.bufsize = 1232});
  CHECK(a.flags == "qr aa tc rd");
  CHECK(srv_set(a) == srv_set(b));
  // A change to another service rebuilds the zone; the cut stays.
  forward.node("agent2", "10.0.0.2");
  forward.service("agent2", "other-1", "other", "10.9.0.1", 80);
  CHECK(srv_set(forward.ask("big.service.consul.", kTypeSrv, {.bufsize = 1232})) == srv_set(a));
}

TEST_CASE("truncation: max_udp_size caps what an EDNS client gets, and 512 without EDNS", "[dns][truncation][edns]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.max_udp_size = 1232;
  cfg.dns_config.udp_answer_limit = 0;
  Big f(100, cfg);
  Reply r = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 8192});
  CHECK(r.size <= 1232);
  CHECK(r.size > 1100);
  CHECK(r.flags == "qr aa tc rd");
  check_srv_glue(r);
  Reply plain = f.ask("big.service.consul.", kTypeSrv, {.edns = false});
  CHECK(plain.size <= 512);
  CHECK(plain.flags == "qr aa tc rd");
  // TCP is not capped by it.
  CHECK(f.ask("big.service.consul.", kTypeSrv, {.tcp = true}).answer.size() == 100);
}

}  // namespace
}  // namespace beacon::dns::test
