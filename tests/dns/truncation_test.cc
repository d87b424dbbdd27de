// Answer caps (policy, no TC) and size-based truncation (TC), over UDP and TCP.
#include <catch2/catch.hpp>

#include <set>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

struct Big : Fixture {
  // Registers n instances of "big" in one transaction (one zone build, not n).
  explicit Big(size_t n, config::Config cfg = default_config()) : Fixture(cfg) {
    catalog::Node self;
    self.name = "agent1";
    self.address = "10.0.0.1";
    self.datacenter = "dc1";
    std::vector<catalog::Service> services;
    for (size_t i = 1; i <= n; ++i) {
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

TEST_CASE("the client's EDNS size is honoured up to our own", "[dns][truncation]") {
  Big f(200);
  Reply small = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 700});
  CHECK(small.size <= 700);
  CHECK(small.flags == "qr aa tc rd");
  check_srv_glue(small);
  Reply big = f.ask("big.service.consul.", kTypeSrv, {.bufsize = 65000});
  CHECK(big.size <= 1232);  // capped by edns_udp_size
  CHECK(big.size > 1000);
  CHECK(big.flags == "qr aa tc rd");
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

}  // namespace
}  // namespace beacon::dns::test
