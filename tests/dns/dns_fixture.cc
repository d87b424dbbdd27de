#include "tests/dns/dns_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

// ldns's C headers define bool/true/false as macros; include them last and drop the macros.
#include <ldns/ldns.h>
#undef bool
#undef true
#undef false

namespace beacon::dns::test {
namespace {

std::string normalise(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\t' || c == ' ' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> section(ldns_rr_list* list, bool skip_opt) {
  std::vector<std::string> out;
  for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (skip_opt && ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT) continue;
    char* text = ldns_rr2str(rr);
    out.push_back(normalise(text ? text : ""));
    free(text);
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
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
      publisher_(cfg, holder_),
      out_(65535) {
  store_ = std::make_unique<catalog::MemoryStore>();
  writer_ = std::make_unique<catalog::Writer>(*store_, feed_.replica().keyspace());
  publisher_.follow_local(feed_);
  REQUIRE(feed_.load(*store_).has_value());
  node(cfg.node_name, cfg.bind_addr);
}

void Fixture::reconfigure(const config::Config& cfg) { publisher_.configure(cfg); }

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
  ldns_pkt* pkt = nullptr;
  if (size == 0 || ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) return r;
  r.ok = true;
  r.id = ldns_pkt_id(pkt);
  uint8_t ext = 0;
  if (ldns_pkt_edns(pkt)) {
    r.has_opt = true;
    r.opt_udp_size = ldns_pkt_edns_udp_size(pkt);
    ext = ldns_pkt_edns_extended_rcode(pkt);
  }
  if (ext == 1 && ldns_pkt_get_rcode(pkt) == 0) {
    r.rcode = "BADVERS";
  } else {
    char* rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt));
    r.rcode = rc ? rc : "?";
    free(rc);
  }
  std::vector<std::string> f;
  if (ldns_pkt_qr(pkt)) f.push_back("qr");
  if (ldns_pkt_aa(pkt)) f.push_back("aa");
  if (ldns_pkt_tc(pkt)) f.push_back("tc");
  if (ldns_pkt_rd(pkt)) f.push_back("rd");
  if (ldns_pkt_ra(pkt)) f.push_back("ra");
  for (size_t i = 0; i < f.size(); ++i) r.flags += (i ? " " : "") + f[i];
  ldns_rr_list* q = ldns_pkt_question(pkt);
  if (q && ldns_rr_list_rr_count(q) > 0) {
    char* owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(q, 0)));
    r.question = owner ? owner : "";
    free(owner);
  }
  r.answer = section(ldns_pkt_answer(pkt), false);
  r.authority = section(ldns_pkt_authority(pkt), false);
  r.additional = section(ldns_pkt_additional(pkt), true);
  ldns_pkt_free(pkt);
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
  Reply r = f.ask(c.qname, c.qtype, opt);
  REQUIRE(r.ok);
  CHECK(r.rcode == c.rcode);
  CHECK(r.flags == c.flags);
  CHECK(sorted(r.answer) == sorted(c.answer));
  CHECK(sorted(r.authority) == sorted(c.authority));
  CHECK(sorted(r.additional) == sorted(c.additional));
}

}  // namespace beacon::dns::test
