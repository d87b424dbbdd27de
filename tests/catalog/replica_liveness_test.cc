// Replica node liveness (etcd mode): alive keys, and the serfHealth check that reads critical
// while a node's alive key is missing.
#include <catch2/catch.hpp>

#include <algorithm>

#include "catalog/sqlite/embedded_store.h"
#include "catalog/keyspace.h"
#include "catalog/replica.h"
#include "catalog/writer.h"

namespace beacon::catalog {
namespace {

using Names = std::set<std::string>;
using Kind = Keyspace::Parsed::Kind;

const std::string kSerf(kAgentCheckId);

// A store, a writer, and a replica fed by the store's change feed (liveness on unless the
// test says otherwise); `last` is the Change of the latest commit.
struct Fixture {
  explicit Fixture(bool liveness = true)
      : store(std::move(*EmbeddedStore::open(":memory:"))), writer(*store, ks), replica(ks) {
    replica.set_liveness(liveness);
    store->watch([this](uint64_t index, const std::vector<Event>& events) {
      last = replica.apply(index, events);
      ++commits;
    });
  }
  // The agent's lease puts and (on expiry) etcd deletes the alive key; here, plain writes.
  void put_alive(const std::string& node, const std::string& value = "1") {
    REQUIRE(store->commit({Op{Op::Kind::put, ks.alive_key(node), value}}).has_value());
  }
  void del_alive(const std::string& node) {
    REQUIRE(store->commit({Op{Op::Kind::del, ks.alive_key(node), {}}}).has_value());
  }
  Health health(const std::string& node, const std::string& id) const {
    const Service* s = replica.service(node, id);
    REQUIRE(s);
    return replica.health(*s);
  }

  Keyspace ks{"beacon/", "dc1"};
  std::unique_ptr<EmbeddedStore> store;
  Writer writer;
  Replica replica;
  Change last;
  int commits = 0;
};

Node node(std::string name) { return Node{.name = std::move(name), .address = "10.0.0.1", .datacenter = "", .meta = {}}; }

Service service(std::string node, std::string id, std::string name) {
  Service s;
  s.node = std::move(node);
  s.id = std::move(id);
  s.name = std::move(name);
  return s;
}

Check check(std::string node, std::string id, std::string service_id, Health status, std::string output = "") {
  Check c;
  c.node = std::move(node);
  c.id = std::move(id);
  c.name = c.id;
  c.service_id = std::move(service_id);
  c.status = status;
  c.output = std::move(output);
  return c;
}

Check serf(std::string node, Health status = Health::passing, std::string output = "Agent alive and reachable") {
  return check(std::move(node), kSerf, "", status, std::move(output));
}

// Registers node `n` with instance `id` of `name`, and (when `with_serf`) a passing serfHealth.
void register_node(Fixture& f, const std::string& n, const std::string& id, const std::string& name, bool with_serf) {
  REQUIRE(f.writer.register_node(node(n)));
  REQUIRE(f.writer.register_service(service(n, id, name), {}));
  if (with_serf) REQUIRE(f.writer.register_check(serf(n)));
}

// ---------------------------------------------------------------------------------------
// Keyspace

TEST_CASE("alive keys: layout and round trip through parse", "[catalog][keyspace][liveness]") {
  Keyspace ks("beacon/", "dc1");
  CHECK(ks.alive_key("web-1") == "beacon/dc1/alive/web-1");
  CHECK(ks.alive_key("a/b") == "beacon/dc1/alive/a%2Fb");
  CHECK(ks.alive_key("100%") == "beacon/dc1/alive/100%25");
  CHECK(Keyspace("", "dc2").alive_key("n") == "dc2/alive/n");

  auto name = GENERATE(as<std::string>{}, "web", "a/b", "100%", "%2F", "%25/%", "db.example.com", "..", "/", "%",
                       "with space", "ünï");
  CAPTURE(name);
  auto parsed = ks.parse(ks.alive_key(name));
  REQUIRE(parsed);
  CHECK(parsed->kind == Kind::alive);
  CHECK(parsed->node == name);
  CHECK(parsed->id.empty());
  // An alive key is not a node key, and the other way round.
  CHECK(ks.alive_key(name) != ks.node_key(name));
  auto as_node = ks.parse(ks.node_key(name));
  REQUIRE(as_node);
  CHECK(as_node->kind == Kind::node);
}

TEST_CASE("alive keys: parse rejects malformed and foreign ones", "[catalog][keyspace][liveness]") {
  Keyspace ks("beacon/", "dc1");
  auto key = GENERATE(as<std::string>{},
                      "beacon/dc1/alive/",         // empty node
                      "beacon/dc1/alive",          // no node at all
                      "beacon/dc1/alive/a/b",      // unescaped slash
                      "beacon/dc1/alive/a%2fb",    // non-canonical escape
                      "beacon/dc1/alive/100%",     // bare percent
                      "beacon/dc2/alive/web",      // another datacenter
                      "other/dc1/alive/web");      // another prefix
  CAPTURE(key);
  CHECK_FALSE(ks.parse(key));
}

// ---------------------------------------------------------------------------------------
// Replica

TEST_CASE("liveness: an instance goes critical when its node's alive key goes, and back", "[catalog][replica][liveness]") {
  Fixture f;
  f.put_alive("n1");
  register_node(f, "n1", "web1", "web", true);
  CHECK(f.replica.alive("n1"));
  CHECK(f.health("n1", "web1") == Health::passing);

  f.del_alive("n1");
  CHECK_FALSE(f.replica.alive("n1"));
  CHECK(f.health("n1", "web1") == Health::critical);

  f.put_alive("n1");
  CHECK(f.replica.alive("n1"));
  CHECK(f.health("n1", "web1") == Health::passing);
}

TEST_CASE("liveness: alive puts and deletes report the node in the Change", "[catalog][replica][liveness]") {
  Fixture f;
  register_node(f, "n1", "web1", "web", true);
  REQUIRE(f.writer.register_node(node("n2")));  // no serfHealth: still reported

  f.put_alive("n1");
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services.empty());  // services of a touched node are not expanded
  CHECK_FALSE(f.last.all);
  CHECK(f.replica.index() == f.store->index());

  f.put_alive("n2");
  CHECK(f.last.nodes == Names{"n2"});
  CHECK(f.last.services.empty());

  // A re-put of a key that is already there (a lease refresh, another value) changes nothing.
  int before = f.commits;
  f.put_alive("n1", "2");
  REQUIRE(f.commits == before + 1);
  CHECK(f.last.empty());
  CHECK(f.replica.alive("n1"));

  f.del_alive("n1");
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services.empty());
  CHECK_FALSE(f.replica.alive("n1"));

  // Both in one commit.
  REQUIRE(f.store->commit({Op{Op::Kind::put, f.ks.alive_key("n1"), "1"}, Op{Op::Kind::del, f.ks.alive_key("n2"), {}}}));
  CHECK(f.last.nodes == Names{"n1", "n2"});
  CHECK(f.replica.alive("n1"));
  CHECK_FALSE(f.replica.alive("n2"));

  // An alive key of another datacenter is not this replica's business.
  Keyspace dc2("beacon/", "dc2");
  REQUIRE(f.store->commit({Op{Op::Kind::put, dc2.alive_key("n3"), "1"}}));
  CHECK(f.last.empty());
  CHECK_FALSE(f.replica.alive("n3"));
}

TEST_CASE("liveness: the alive key is tracked even with liveness off", "[catalog][replica][liveness]") {
  Fixture f(false);
  CHECK_FALSE(f.replica.alive("n1"));
  f.put_alive("n1");
  CHECK(f.replica.alive("n1"));
  CHECK(f.last.nodes == Names{"n1"});
  f.del_alive("n1");
  CHECK_FALSE(f.replica.alive("n1"));
  CHECK(f.last.nodes == Names{"n1"});
}

TEST_CASE("liveness: serfHealth reads critical with an explanation while not alive", "[catalog][replica][liveness]") {
  Fixture f;
  f.put_alive("n1");
  register_node(f, "n1", "web1", "web", true);
  const Check* c = f.replica.check("n1", kSerf);
  REQUIRE(c);
  CHECK(c->status == Health::passing);
  CHECK(c->output == "Agent alive and reachable");

  f.del_alive("n1");
  c = f.replica.check("n1", kSerf);
  REQUIRE(c);
  CHECK(c->status == Health::critical);
  CHECK_FALSE(c->output.empty());
  CHECK(c->output != "Agent alive and reachable");
  CHECK_THAT(c->output, Catch::Matchers::Contains("alive", Catch::CaseSensitive::No));
  // The rest of the check is the stored one.
  CHECK(c->name == kSerf);
  CHECK(c->node == "n1");
  CHECK(c->service_id.empty());
  // Every view of the check agrees.
  auto node_checks = f.replica.node_checks("n1");
  REQUIRE(node_checks.size() == 1);
  CHECK(node_checks[0]->status == Health::critical);
  REQUIRE(f.replica.checks().contains({"n1", kSerf}));
  CHECK(f.replica.checks().at({"n1", kSerf}).status == Health::critical);

  f.put_alive("n1");
  c = f.replica.check("n1", kSerf);
  REQUIRE(c);
  CHECK(c->status == Health::passing);
  CHECK(c->output == "Agent alive and reachable");
}

TEST_CASE("liveness: a serfHealth check written while not alive reads critical", "[catalog][replica][liveness]") {
  Fixture f;
  REQUIRE(f.writer.register_node(node("n1")));
  REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {}));
  CHECK(f.health("n1", "web1") == Health::passing);  // no serfHealth yet: unaffected
  REQUIRE(f.writer.register_check(serf("n1")));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  CHECK(f.health("n1", "web1") == Health::critical);

  // A rewrite of the stored check (new output) while still not alive stays critical...
  REQUIRE(f.writer.register_check(serf("n1", Health::passing, "still here")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  // ...and the new stored status and output show once the key appears.
  f.put_alive("n1");
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
  CHECK(f.replica.check("n1", kSerf)->output == "still here");
  CHECK(f.health("n1", "web1") == Health::passing);
}

TEST_CASE("liveness: nodes without a serfHealth check are unaffected", "[catalog][replica][liveness]") {
  Fixture f;
  // n1: an agent's node (serfHealth), n2: registered through the catalog API (none).
  register_node(f, "n1", "web1", "web", true);
  register_node(f, "n2", "web2", "web", false);
  REQUIRE(f.writer.register_check(check("n2", "disk", "", Health::passing)));
  CHECK(f.health("n1", "web1") == Health::critical);  // no alive key
  CHECK(f.health("n2", "web2") == Health::passing);
  CHECK(f.replica.check("n2", "disk")->status == Health::passing);
  CHECK(f.replica.check("n2", kSerf) == nullptr);

  f.put_alive("n2");
  f.del_alive("n2");
  CHECK(f.health("n2", "web2") == Health::passing);
  CHECK(f.replica.check("n2", "disk")->status == Health::passing);
  CHECK(f.replica.check("n2", kSerf) == nullptr);  // no check is made up

  // Other checks on an agent's node keep their stored status whatever its liveness.
  REQUIRE(f.writer.register_check(check("n1", "disk", "", Health::passing)));
  REQUIRE(f.writer.register_check(check("n1", "svc", "web1", Health::warning)));
  CHECK(f.replica.check("n1", "disk")->status == Health::passing);
  CHECK(f.replica.check("n1", "svc")->status == Health::warning);
  f.put_alive("n1");
  CHECK(f.health("n1", "web1") == Health::warning);
}

TEST_CASE("liveness: a service check named serfHealth is not the node's liveness", "[catalog][replica][liveness]") {
  Fixture f;
  REQUIRE(f.writer.register_node(node("n1")));
  REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {}));
  REQUIRE(f.writer.register_check(check("n1", kSerf, "web1", Health::passing, "svc")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
  CHECK(f.health("n1", "web1") == Health::passing);

  // Turned into a node-level check, it follows liveness...
  REQUIRE(f.writer.register_check(check("n1", kSerf, "", Health::passing, "node")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  CHECK(f.health("n1", "web1") == Health::critical);
  // ...and back to a service check it no longer does.
  REQUIRE(f.writer.register_check(check("n1", kSerf, "web1", Health::passing, "svc")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
  CHECK(f.replica.check("n1", kSerf)->output == "svc");
  CHECK(f.health("n1", "web1") == Health::passing);
}

TEST_CASE("liveness off: missing alive keys are ignored", "[catalog][replica][liveness]") {
  Fixture f(false);
  register_node(f, "n1", "web1", "web", true);
  CHECK_FALSE(f.replica.alive("n1"));
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
  CHECK(f.replica.check("n1", kSerf)->output == "Agent alive and reachable");
  CHECK(f.health("n1", "web1") == Health::passing);
  f.put_alive("n1");
  f.del_alive("n1");
  CHECK(f.health("n1", "web1") == Health::passing);

  // Turning it on applies at once; turning it off restores the stored check.
  f.replica.set_liveness(true);
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  CHECK(f.health("n1", "web1") == Health::critical);
  f.replica.set_liveness(false);
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
  CHECK(f.replica.check("n1", kSerf)->output == "Agent alive and reachable");
  CHECK(f.health("n1", "web1") == Health::passing);

  // On with the key present: nothing changes.
  f.put_alive("n1");
  f.replica.set_liveness(true);
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);
}

TEST_CASE("liveness: a stored critical serfHealth stays critical while alive", "[catalog][replica][liveness]") {
  Fixture f;
  f.put_alive("n1");
  REQUIRE(f.writer.register_node(node("n1")));
  REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {}));
  REQUIRE(f.writer.register_check(serf("n1", Health::critical, "stored failure")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  CHECK(f.replica.check("n1", kSerf)->output == "stored failure");
  CHECK(f.health("n1", "web1") == Health::critical);

  f.del_alive("n1");
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  f.put_alive("n1");
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  CHECK(f.replica.check("n1", kSerf)->output == "stored failure");

  // A stored warning stays warning too.
  REQUIRE(f.writer.register_check(serf("n1", Health::warning, "flaky")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::warning);
  CHECK(f.health("n1", "web1") == Health::warning);
}

TEST_CASE("liveness: deleting the serfHealth check", "[catalog][replica][liveness]") {
  Fixture f;
  register_node(f, "n1", "web1", "web", true);
  CHECK(f.health("n1", "web1") == Health::critical);

  REQUIRE(f.writer.deregister_check("n1", kSerf));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.replica.check("n1", kSerf) == nullptr);
  CHECK(f.replica.node_checks("n1").empty());
  CHECK(f.health("n1", "web1") == Health::passing);  // without the check, liveness does not apply

  // Alive key changes no longer bring it back.
  f.put_alive("n1");
  f.del_alive("n1");
  CHECK(f.replica.check("n1", kSerf) == nullptr);
  CHECK(f.health("n1", "web1") == Health::passing);
  f.replica.set_liveness(false);
  f.replica.set_liveness(true);
  CHECK(f.replica.check("n1", kSerf) == nullptr);

  // Registered again, it follows liveness once more.
  REQUIRE(f.writer.register_check(serf("n1")));
  CHECK(f.replica.check("n1", kSerf)->status == Health::critical);
  f.put_alive("n1");
  CHECK(f.replica.check("n1", kSerf)->status == Health::passing);

  // Deregistering the node removes the check with the rest.
  REQUIRE(f.writer.deregister_node("n1"));
  CHECK(f.replica.check("n1", kSerf) == nullptr);
  CHECK(f.replica.checks().empty());
}

TEST_CASE("liveness: reset with and without alive keys", "[catalog][replica][liveness]") {
  Keyspace ks("beacon/", "dc1");
  auto range_of = [&](bool n1_alive, bool n2_alive) {
    Range range{.index = 7, .kvs = {}};
    if (n1_alive) range.kvs.push_back({ks.alive_key("n1"), "1", 1, 1});
    if (n2_alive) range.kvs.push_back({ks.alive_key("n2"), "1", 1, 1});
    range.kvs.push_back({ks.check_key("n1", kSerf), encode_check(serf("n1")), 2, 2});
    range.kvs.push_back({ks.check_key("n2", kSerf), encode_check(serf("n2")), 2, 2});
    range.kvs.push_back({ks.node_key("n1"), encode_node(node("n1")), 3, 3});
    range.kvs.push_back({ks.node_key("n2"), encode_node(node("n2")), 3, 3});
    range.kvs.push_back({ks.node_key("n3"), encode_node(node("n3")), 3, 3});
    range.kvs.push_back({ks.service_key("n1", "web1"), encode_service(service("n1", "web1", "web")), 4, 4});
    range.kvs.push_back({ks.service_key("n2", "web2"), encode_service(service("n2", "web2", "web")), 4, 4});
    range.kvs.push_back({ks.service_key("n3", "web3"), encode_service(service("n3", "web3", "web")), 4, 4});
    return range;
  };
  auto health = [](const Replica& r, const std::string& n, const std::string& id) {
    const Service* s = r.service(n, id);
    REQUIRE(s);
    return r.health(*s);
  };

  Replica replica(ks);
  replica.set_liveness(true);

  SECTION("with alive keys") {
    Change change = replica.reset(range_of(true, true));
    CHECK(change.all);
    CHECK(replica.alive("n1"));
    CHECK(replica.alive("n2"));
    CHECK(replica.check("n1", kSerf)->status == Health::passing);
    CHECK(replica.check("n1", kSerf)->output == "Agent alive and reachable");
    CHECK(health(replica, "n1", "web1") == Health::passing);
    CHECK(health(replica, "n2", "web2") == Health::passing);
    CHECK(health(replica, "n3", "web3") == Health::passing);
    CHECK(replica.decode_errors() == 0);
  }
  SECTION("without alive keys") {
    replica.reset(range_of(false, false));
    CHECK_FALSE(replica.alive("n1"));
    CHECK(replica.check("n1", kSerf)->status == Health::critical);
    CHECK(replica.check("n2", kSerf)->status == Health::critical);
    CHECK(health(replica, "n1", "web1") == Health::critical);
    CHECK(health(replica, "n2", "web2") == Health::critical);
    CHECK(health(replica, "n3", "web3") == Health::passing);  // no serfHealth
    // An alive key after the reset brings the node back.
    Change change = replica.apply(8, {Event{Event::Kind::put, KeyValue{ks.alive_key("n1"), "1", 8, 8}}});
    CHECK(change.nodes == Names{"n1"});
    CHECK(health(replica, "n1", "web1") == Health::passing);
    CHECK(health(replica, "n2", "web2") == Health::critical);
  }
  SECTION("a reset clears alive state from before") {
    replica.reset(range_of(true, true));
    REQUIRE(replica.alive("n1"));
    replica.reset(range_of(false, true));
    CHECK_FALSE(replica.alive("n1"));
    CHECK(replica.alive("n2"));
    CHECK(replica.check("n1", kSerf)->status == Health::critical);
    CHECK(replica.check("n2", kSerf)->status == Health::passing);
    CHECK(health(replica, "n1", "web1") == Health::critical);

    replica.reset(Range{.index = 9, .kvs = {}});
    CHECK_FALSE(replica.alive("n2"));
    CHECK(replica.checks().empty());
    // The stored status of the old serfHealth checks is gone too: a liveness toggle or an
    // alive key must not resurrect anything.
    replica.set_liveness(false);
    replica.set_liveness(true);
    replica.apply(10, {Event{Event::Kind::put, KeyValue{ks.alive_key("n1"), "1", 10, 10}}});
    CHECK(replica.checks().empty());
    CHECK(replica.check("n1", kSerf) == nullptr);
  }
  SECTION("the range order does not matter") {
    Range range = range_of(true, false);
    std::reverse(range.kvs.begin(), range.kvs.end());  // checks before alive keys
    replica.reset(range);
    CHECK(replica.check("n1", kSerf)->status == Health::passing);
    CHECK(replica.check("n2", kSerf)->status == Health::critical);
  }
  SECTION("liveness off: a reset without alive keys reads the stored checks") {
    replica.set_liveness(false);
    replica.reset(range_of(false, false));
    CHECK(replica.check("n1", kSerf)->status == Health::passing);
    CHECK(health(replica, "n1", "web1") == Health::passing);
  }
}

TEST_CASE("liveness: the replica matches a fresh reset from the store", "[catalog][replica][liveness]") {
  Fixture f;
  register_node(f, "n1", "web1", "web", true);
  register_node(f, "n2", "web2", "web", true);
  register_node(f, "n3", "web3", "web", false);
  f.put_alive("n1");
  f.put_alive("n2");
  f.del_alive("n2");
  f.put_alive("n3");

  Replica fresh(f.ks);
  fresh.set_liveness(true);
  fresh.reset(*f.store->range(f.ks.dc_prefix()));
  CHECK(fresh.checks() == f.replica.checks());
  CHECK(fresh.alive("n1"));
  CHECK_FALSE(fresh.alive("n2"));
  CHECK(fresh.alive("n3"));
  CHECK(fresh.check("n2", kSerf)->status == Health::critical);
  CHECK(fresh.index() == f.replica.index());
}

}  // namespace
}  // namespace beacon::catalog
