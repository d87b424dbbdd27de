#include "tests/dns/dns_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "tests/support/dns_case.h"
#include "tests/support/dns_message.h"

// ldns's C headers define bool/true/false as macros; include them last and drop the macros.
#include <ldns/ldns.h>
#undef bool
#undef true
#undef false

namespace beacon::dns::test {
namespace {

// Records as the in-process tests compare them: "owner ttl IN type rdata", the owner as the
// reply spelled it.
std::vector<std::string> presentation(const std::vector<beacon::test::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.owner + " " + std::to_string(r.ttl) + " IN " + r.type + " " + r.rdata);
  return out;
}

}  // namespace

config::Config Fixture::default_config() {
  config::Config c;
  c.node_name = "agent1";
  c.datacenter = "dc1";
  c.domain = "consul";
  c.bind_addr = "10.0.0.1";
  c.dev = true;
  return c;
}

Fixture::Fixture(config::Config cfg)
    : feed_(catalog::Keyspace("beacon/", cfg.datacenter), [](std::function<void()> flush) { flush(); }),
      publisher_(dns::zone_options(cfg), holder_),
      out_(65535) {
  store_ = std::make_unique<catalog::MemoryStore>();
  writer_ = std::make_unique<catalog::Writer>(*store_, feed_.replica().keyspace());
  publisher_.follow_local(feed_);
  REQUIRE(feed_.load(*store_).has_value());
  node(cfg.node_name, cfg.bind_addr);
}

void Fixture::reconfigure(const config::Config& cfg) { publisher_.configure(dns::zone_options(cfg)); }

void Fixture::node(const std::string& name, const std::string& address, std::map<std::string, std::string> meta) {
  catalog::Node n;
  n.name = name;
  n.address = address;
  n.datacenter = feed_.replica().keyspace().datacenter();
  n.meta = std::move(meta);
  REQUIRE(writer_->register_node(n).has_value());
}

void Fixture::service(const std::string& node, const std::string& id, const std::string& name,
                      const std::string& address, uint16_t port, std::vector<std::string> tags,
                      std::vector<std::string> check_statuses, catalog::Weights weights) {
  catalog::Service s;
  s.node = node;
  s.id = id;
  s.name = name;
  s.address = address;
  s.port = port;
  s.tags = std::move(tags);
  s.weights = weights;
  s.source = "api";
  std::vector<catalog::Check> checks;
  int n = 0;
  for (const std::string& st : check_statuses) {
    catalog::Check c;
    c.id = "service:" + id + ":" + std::to_string(++n);
    c.name = "check";
    c.node = node;
    c.service_id = id;
    c.status = *catalog::parse_health(st);
    checks.push_back(c);
  }
  REQUIRE(writer_->register_service(s, checks).has_value());
}

void Fixture::node_check(const std::string& node, const std::string& id, catalog::Health status) {
  catalog::Check c;
  c.id = id;
  c.name = id;
  c.node = node;
  c.status = status;
  REQUIRE(writer_->register_check(c).has_value());
}

std::vector<uint8_t> make_query(const std::string& qname, uint16_t qtype, const AskOptions& opt, uint16_t id) {
  ldns_pkt* pkt = nullptr;
  ldns_status st = ldns_pkt_query_new_frm_str(&pkt, qname.c_str(), static_cast<ldns_rr_type>(qtype),
                                              LDNS_RR_CLASS_IN, opt.rd ? LDNS_RD : 0);
  REQUIRE(st == LDNS_STATUS_OK);
  ldns_pkt_set_id(pkt, id);
  if (opt.edns) {
    ldns_pkt_set_edns_udp_size(pkt, opt.bufsize);
    ldns_pkt_set_edns_version(pkt, opt.edns_version);
    ldns_pkt_set_edns_do(pkt, false);
    // ldns only writes an OPT when some EDNS field is non-zero; the UDP size always is.
  }
  uint8_t* wire = nullptr;
  size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

Reply decode(const uint8_t* data, size_t size) {
  Reply r;
  r.size = size;
  r.wire.assign(data, data + size);
  auto m = size == 0 ? std::nullopt : beacon::test::decode_wire(data, size);
  if (!m) return r;
  r.ok = true;
  r.id = m->id;
  r.has_opt = m->edns;
  r.opt_udp_size = m->edns_udp_size;
  r.rcode = m->rcode;
  std::vector<const char*> f;
  if (m->qr) f.push_back("qr");
  if (m->aa) f.push_back("aa");
  if (m->tc) f.push_back("tc");
  if (m->rd) f.push_back("rd");
  if (m->ra) f.push_back("ra");
  for (size_t i = 0; i < f.size(); ++i) r.flags += std::string(i ? " " : "") + f[i];
  r.question = m->qname;
  r.answer = presentation(m->answer);
  r.authority = presentation(m->authority);
  r.additional = presentation(m->additional);
  return r;
}

Reply Fixture::ask(const std::string& qname, uint16_t qtype, AskOptions opt) {
  return ask_raw(make_query(qname, qtype, opt), opt.tcp ? Transport::tcp : Transport::udp);
}

Reply Fixture::ask_raw(const std::vector<uint8_t>& wire, Transport t) {
  Result res = answer(zone(), wire.data(), wire.size(), t, out_.data(), out_.size(), scratch_);
  return decode(out_.data(), res.size);
}

void check_case(Fixture& f, const DnsCase& c, AskOptions opt) {
  INFO("question: " << c.qname << " type " << c.qtype);
  std::vector<uint8_t> query = make_query(c.qname, c.qtype, opt);
  Reply r = f.ask_raw(query, opt.tcp ? Transport::tcp : Transport::udp);
  REQUIRE(r.ok);
  CHECK(r.flags == c.flags);
  // The sections and rcode through the one case checker (tests/support/dns_case.h).
  beacon::test::DnsCase want{c.qname, "", c.rcode, c.answer, c.authority, c.additional, std::nullopt, std::nullopt};
  CHECK(beacon::test::check_case(want, *beacon::test::decode_wire(r.wire.data(), r.wire.size())) == "");
}

}  // namespace beacon::dns::test
