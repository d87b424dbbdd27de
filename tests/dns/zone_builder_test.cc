// ZoneBuilder: incremental rebuilds share untouched entries; settings and helpers.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "base/address.h"
#include "dns/name.h"
#include "dns/wire/wire.h"
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
  ZoneBuilder b(zone_options(cfg));
  CHECK(b.service_ttl("abc") == 4);
  CHECK(b.service_ttl("abd") == 3);
  CHECK(b.service_ttl("ax") == 2);
  CHECK(b.service_ttl("zzz") == 1);
  CHECK(b.service_ttl("ABC") == 4);
  cfg.dns_config.service_ttl.clear();
  CHECK(ZoneBuilder(zone_options(cfg)).service_ttl("abc") == 0);
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

TEST_CASE("address names", "[dns][name]") {
  CHECK(hex_address(*base::parse_ip("10.1.0.1")) == "0a010001");
  CHECK(hex_address(*base::parse_ip("2001:db8::1")) == "20010db8000000000000000000000001");
  CHECK(parse_hex_address("0A010001") == base::parse_ip("10.1.0.1"));
  CHECK(!parse_hex_address("0a01000").has_value());
  CHECK(parse_reverse(std::string("\1\x31\1\x30\1\x31\2\x31\x30", 9), false) == base::parse_ip("10.1.0.1"));
  CHECK(!parse_reverse(std::string("\1\x31\1\x30\1\x31", 6), false).has_value());
  CHECK(base::ip_to_text(*base::parse_ip("::1")) == "::1");
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

namespace beacon::dns::test {
namespace {

TEST_CASE("ShardedMap: versions share untouched entries; shards grow with the map", "[dns][zone]") {
  ShardedMap<PtrEntry> v1;
  const size_t n = 5000;
  for (size_t i = 0; i < n; ++i) v1.set("k" + std::to_string(i), std::make_shared<const PtrEntry>(PtrEntry{std::to_string(i)}));
  v1.seal();
  CHECK(v1.size() == n);
  // About kTargetLoad entries per shard, whatever the size.
  CHECK(v1.shard_count() >= n / ShardedMap<PtrEntry>::kTargetLoad);
  CHECK(v1.shard_count() <= 2 * n / ShardedMap<PtrEntry>::kTargetLoad);
  for (size_t i = 0; i < n; i += 97) {
    const PtrEntry* e = v1.find("k" + std::to_string(i));
    REQUIRE(e);
    CHECK(e->target == std::to_string(i));
  }
  ShardedMap<PtrEntry> v2 = v1;  // the next version
  v2.set("k1", std::make_shared<const PtrEntry>(PtrEntry{"changed"}));
  v2.set("k2", nullptr);
  v2.set("new", std::make_shared<const PtrEntry>(PtrEntry{"added"}));
  v2.seal();
  // The published version did not change.
  CHECK(v1.find("k1")->target == "1");
  CHECK(v1.find("k2"));
  CHECK_FALSE(v1.find("new"));
  CHECK(v1.size() == n);
  CHECK(v2.find("k1")->target == "changed");
  CHECK_FALSE(v2.find("k2"));
  CHECK(v2.find("new")->target == "added");
  CHECK(v2.size() == n);
  // Untouched values are the same objects in both versions.
  CHECK(v1.find("k3") == v2.find("k3"));
  size_t seen = 0;
  v2.for_each([&](const std::string&, const PtrEntry&) { ++seen; });
  CHECK(seen == n);
  v2.clear();
  CHECK(v2.size() == 0);
  CHECK_FALSE(v2.find("k3"));
  CHECK(v1.find("k3"));
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

// The stamp of each record's instance decides whether the next zone keeps the record: what
// changed is derived again, everything else is the same object.
TEST_CASE("a change to one instance rebuilds that instance's record only", "[dns][zone]") {
  Fixture f;
  for (int i = 0; i < 40; ++i)
    f.service("agent1", "big-" + std::to_string(i), "big", "10.7.0." + std::to_string(i + 1), 80,
              {i % 2 ? "odd" : "even"}, {"passing"});
  auto keep = f.builder().current();
  const ServiceEntry* before = keep->services.find("big");
  REQUIRE(before);
  REQUIRE(before->instances.size() == 40);
  CHECK(before->all.a.size() == 40);

  // A check turns critical: that instance leaves the answers, the rest are kept as they were.
  catalog::Check c;
  c.id = "service:big-7:1";
  c.name = "check";
  c.node = "agent1";
  c.service_id = "big-7";
  c.status = catalog::Health::critical;
  REQUIRE(f.writer().register_check(c).has_value());
  const ServiceEntry* after = f.zone().services.find("big");
  REQUIRE(after);
  REQUIRE(after != before);
  REQUIRE(after->instances.size() == 40);
  CHECK(after->all.a.size() == 39);
  CHECK(after->by_tag.at("odd").a.size() == 19);  // big-7 is odd
  CHECK(after->by_tag.at("even").a.size() == 20);
  // Records are carried over (the changed one is appended: order is not part of the answer).
  auto shared = [](const ServiceEntry& a, const ServiceEntry& b) {
    std::set<const InstanceText*> in_a;
    for (const InstanceRecord& r : a.instances) in_a.insert(r.text);
    size_t n = 0;
    for (const InstanceRecord& r : b.instances) n += in_a.contains(r.text);
    return n;
  };
  CHECK(shared(*before, *after) == 39);
  for (const InstanceRecord& rec : after->instances)  // ordered by (node, id): big-7 is not 7th
    CHECK(rec.healthy == (rec.addr[3] != 8));
  Reply r = f.ask("big.service.consul.", kTypeA, {.tcp = true});  // no answer limit over TCP
  CHECK(r.answer.size() == 39);
  for (const std::string& rr : r.answer) CHECK(rr.find("10.7.0.8") == std::string::npos);

  // Re-registering with new meta and tags changes that record's TXT and tag views.
  auto keep2 = f.builder().current();
  catalog::Service s = *f.replica().service("agent1", "big-3");
  s.meta = {{"version", "2"}};
  s.tags = {"canary"};
  REQUIRE(f.writer().register_service(s, {}).has_value());
  const ServiceEntry* third = f.zone().services.find("big");
  REQUIRE(third);
  CHECK(third->by_tag.at("canary").a.size() == 1);
  CHECK(third->by_tag.at("odd").a.size() == 18);
  CHECK(f.ask("canary.big.service.consul.", kTypeTxt).answer ==
        std::vector<std::string>{"canary.big.service.consul. 0 IN TXT \"version=2\""});
  CHECK(shared(*after, *third) == 39);
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

std::string hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// What a zone answers, independent of record order and of which duplicate a view kept: per
// service its settings, records and views (by their de-duplication keys); nodes; PTR.
std::map<std::string, std::string> canonical(const Zone& z) {
  std::map<std::string, std::string> out;
  z.services.for_each([&](const std::string& key, const ServiceEntry& e) {
    auto addr = [](const InstanceRecord& r) { return hex({reinterpret_cast<const char*>(r.addr), r.family == 4 ? 4u : 16u}); };
    std::multiset<std::string> records;
    for (const InstanceRecord& r : e.instances) {
      if (r.family == 0) {
        records.insert("noaddr healthy=" + std::to_string(r.healthy));
        continue;
      }
      std::string tags;
      for (const auto& t : r.text->tags) tags += t + ",";
      records.insert(addr(r) + " " + std::to_string(r.port) + " w" + std::to_string(r.weight) + " h" +
                     std::to_string(r.healthy) + " own" + std::to_string(r.own_address) + " " + hex(r.target()) + " " +
                     hex(r.txt()) + " [" + tags + "]");
    }
    auto view = [&](const View& v) {
      std::set<std::string> a, srv, txt;
      for (uint32_t i : v.a) a.insert(addr(e.instances[i]));
      for (uint32_t i : v.aaaa) a.insert(addr(e.instances[i]));
      for (uint32_t i : v.srv) srv.insert(hex(e.instances[i].target()) + ":" + std::to_string(e.instances[i].port));
      for (uint32_t i : v.txt) txt.insert(hex(e.instances[i].txt()));
      std::string s = "a{";
      for (const auto& x : a) s += x + " ";
      s += "} srv{";
      for (const auto& x : srv) s += x + " ";
      s += "} txt{";
      for (const auto& x : txt) s += x + " ";
      // Each view index is a distinct record kept for a distinct key.
      CHECK(v.a.size() + v.aaaa.size() == a.size());
      CHECK(v.srv.size() == srv.size());
      CHECK(v.txt.size() == txt.size());
      return s + "}";
    };
    std::string s = "ttl=" + std::to_string(e.ttl) + " protected=" + std::to_string(e.protected_mode) + " names=";
    for (const auto& n : e.source_names) s += n + ",";
    s += "\n";
    for (const auto& r : records) s += "  " + r + "\n";
    s += " all " + view(e.all) + "\n";
    std::map<std::string, std::string> tags;
    for (const auto& [tag, v] : e.by_tag) tags[tag] = view(v);
    for (const auto& [tag, v] : tags) s += " tag " + tag + " " + v + "\n";
    out["service " + key] = s;
  });
  z.nodes.for_each([&](const std::string& key, const NodeEntry& n) {
    out["node " + key] = n.name + " " + hex({reinterpret_cast<const char*>(n.addr), 16});
  });
  z.ptr.for_each([&](const std::string& key, const PtrEntry& p) { out["ptr " + hex(key)] = hex(p.target); });
  return out;
}

// Random registrations, deregistrations, renames, check and node changes, applied in commits
// that are built one at a time or several at once (as the agent merges them): after each
// build the zone must equal one built from scratch from the same replica.
TEST_CASE("incremental zone builds equal full builds under random catalog changes", "[dns][zone]") {
  const uint32_t seed = GENERATE(1u, 2u, 3u, 4u);
  std::mt19937 rng(seed);
  auto pick = [&](auto const& options) { return options[std::uniform_int_distribution<size_t>(0, options.size() - 1)(rng)]; };
  auto chance = [&](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; };

  config::Config cfg = Fixture::default_config();
  cfg.dns_config.protect_threshold = 0.3;
  catalog::Keyspace ks("beacon/", cfg.datacenter);
  auto store = std::make_unique<catalog::MemoryStore>();
  catalog::Writer writer(*store, ks);
  catalog::Replica replica(ks);
  ZoneBuilder builder(zone_options(cfg));
  catalog::Change pending;
  store->watch([&](uint64_t index, const std::vector<catalog::Event>& ev) { pending.merge(replica.apply(index, ev)); });

  const std::vector<std::string> nodes{"n1", "n2", "n3"};
  const std::vector<std::string> node_addrs{"10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1", "not-an-ip"};
  const std::vector<std::string> ids{"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"};
  const std::vector<std::string> names{"web", "Web", "db", "api"};
  const std::vector<std::string> addrs{"", "", "10.1.0.1", "10.1.0.2", "10.0.0.2", "fd00::9", "host.example"};
  const std::vector<std::string> tag_pool{"a", "B", "b", "c"};
  const std::vector<catalog::Health> statuses{catalog::Health::passing, catalog::Health::passing, catalog::Health::warning,
                                             catalog::Health::critical};
  for (const std::string& n : nodes)
    REQUIRE(writer.register_node(catalog::Node{.name = n, .address = pick(node_addrs), .datacenter = "", .meta = {}}));

  size_t builds = 0, applied = 0;
  for (int step = 0; step < 300; ++step) {
    int op = std::uniform_int_distribution<int>(0, 99)(rng);
    const std::string node = pick(nodes), id = pick(ids);
    if (op < 45) {
      catalog::Service s;
      s.node = node;
      s.id = id;
      s.name = pick(names);
      s.address = pick(addrs);
      s.port = static_cast<uint16_t>(8000 + std::uniform_int_distribution<int>(0, 2)(rng));
      for (const auto& t : tag_pool)
        if (chance(30)) s.tags.push_back(t);
      if (chance(30)) s.meta["v"] = std::to_string(std::uniform_int_distribution<int>(1, 3)(rng));
      s.weights.passing = chance(20) ? 5 : 1;
      std::vector<catalog::Check> checks;
      if (chance(50)) {
        catalog::Check c;
        c.node = node;
        c.id = "svc:" + id;
        c.name = "c";
        c.service_id = id;
        c.status = pick(statuses);
        checks.push_back(c);
      }
      applied += writer.register_service(s, checks).has_value();
    } else if (op < 60) {
      applied += writer.deregister_service(node, id).has_value();
    } else if (op < 80) {
      if (replica.service(node, id)) {
        catalog::Check c;
        c.node = node;
        c.id = "svc:" + id;
        c.name = "c";
        c.service_id = id;
        c.status = pick(statuses);
        applied += writer.register_check(c).has_value();
      }
    } else if (op < 88) {
      catalog::Check c;
      c.node = node;
      c.id = "node-check";
      c.name = "n";
      c.status = pick(statuses);
      applied += writer.register_check(c).has_value();
    } else if (op < 96) {
      applied += writer.register_node(catalog::Node{.name = node, .address = pick(node_addrs), .datacenter = "", .meta = {}})
                     .has_value();
    } else {
      applied += writer.deregister_node(node).has_value();
      applied += writer.register_node(catalog::Node{.name = node, .address = pick(node_addrs), .datacenter = "", .meta = {}})
                     .has_value();
    }
    if (chance(60) && !pending.empty()) {  // otherwise the next commit's change merges in
      builder.build(replica, pending);
      pending = catalog::Change{};
      ++builds;
      ZoneBuilder fresh(zone_options(cfg));
      catalog::Change all;
      all.all = true;
      auto incremental = canonical(*builder.current());
      auto full = canonical(*fresh.build(replica, all));
      INFO("seed " << seed << " step " << step);
      REQUIRE(incremental == full);
    }
  }
  CHECK(builds > 100);
  CHECK(applied > 200);
}

}  // namespace
}  // namespace beacon::dns::test
