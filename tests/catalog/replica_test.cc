// Replica: reset and apply, Change sets, lookups and health aggregation.
#include "catalog/replica.h"

#include <catch2/catch.hpp>

#include "catalog/sqlite/embedded_store.h"
#include "catalog/writer.h"

namespace beacon::catalog {
namespace {

using Names = std::set<std::string>;

// A store, a writer, and a replica fed by the store's change feed; `last` is the Change of
// the latest commit.
struct Fixture {
  Fixture() : store(std::move(*EmbeddedStore::open(":memory:"))), writer(*store, ks), replica(ks) {
    store->watch([this](uint64_t index, const std::vector<Event>& events) { last = replica.apply(index, events); });
  }
  Keyspace ks{"beacon/", "dc1"};
  std::unique_ptr<EmbeddedStore> store;
  Writer writer;
  Replica replica;
  Change last;
};

Node node(std::string name) { return Node{.name = std::move(name), .address = "10.0.0.1", .datacenter = "", .meta = {}}; }

Service service(std::string node, std::string id, std::string name) {
  Service s;
  s.node = std::move(node);
  s.id = std::move(id);
  s.name = std::move(name);
  return s;
}

Check check(std::string node, std::string id, std::string service_id, Health status) {
  Check c;
  c.node = std::move(node);
  c.id = std::move(id);
  c.service_id = std::move(service_id);
  c.status = status;
  return c;
}

TEST_CASE("reset loads a range and reports everything", "[catalog][replica]") {
  Keyspace ks("beacon/", "dc1");
  Range range{.index = 9, .kvs = {
      {ks.node_key("n1"), encode_node(node("n1")), 1, 2},
      {ks.service_key("n1", "web1"), encode_service(service("n1", "web1", "web")), 3, 3},
      {ks.check_key("n1", "c1"), encode_check(check("n1", "c1", "web1", Health::warning)), 4, 4},
      {ks.service_key("n1", "bad"), "{not json", 5, 5},
      {"beacon/dc2/nodes/n9", encode_node(node("n9")), 6, 6},
      {"unrelated", "x", 7, 7},
  }};
  Replica replica(ks);
  Change change = replica.reset(range);
  CHECK(change.all);
  CHECK_FALSE(change.empty());
  CHECK(replica.index() == 9);
  CHECK(replica.decode_errors() == 1);
  CHECK(replica.nodes().size() == 1);
  REQUIRE(replica.node("n1"));
  CHECK(replica.node("n1")->modify_index == 2);
  CHECK(replica.services().size() == 1);
  CHECK(replica.service_names() == std::vector<std::string>{"web"});
  REQUIRE(replica.check("n1", "c1"));
  CHECK(replica.health(*replica.service("n1", "web1")) == Health::warning);

  // A second reset replaces everything.
  replica.reset(Range{.index = 10, .kvs = {}});
  CHECK(replica.nodes().empty());
  CHECK(replica.services().empty());
  CHECK(replica.service_names().empty());
  CHECK(replica.index() == 10);
}

TEST_CASE("apply reports the services and nodes each commit touched", "[catalog][replica]") {
  Fixture f;
  REQUIRE(f.writer.register_node(node("n1")));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services.empty());
  CHECK_FALSE(f.last.all);

  REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {check("", "c1", "", Health::passing)}));
  CHECK(f.last.services == Names{"web"});
  CHECK(f.last.nodes.empty());
  CHECK(f.replica.index() == f.store->index());

  // A check status change touches its service.
  REQUIRE(f.writer.register_check(check("n1", "c1", "web1", Health::critical)));
  CHECK(f.last.services == Names{"web"});
  CHECK(f.last.nodes.empty());

  // A node-level check touches the node, not its services.
  REQUIRE(f.writer.register_check(check("n1", "maint", "", Health::critical)));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services.empty());

  // A rename touches both names and moves the instance.
  REQUIRE(f.writer.register_service(service("n1", "web1", "www"), {}));
  CHECK(f.last.services == Names{"web", "www"});
  CHECK(f.replica.instances("web").empty());
  REQUIRE(f.replica.instances("www").size() == 1);
  CHECK(f.replica.service_names() == std::vector<std::string>{"www"});

  // A check that moves from a node-level check to a service touches both.
  REQUIRE(f.writer.register_check(check("n1", "maint", "web1", Health::critical)));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services == Names{"www"});

  // Deregistering the instance touches its name (its check deletes are in the same commit).
  REQUIRE(f.writer.deregister_service("n1", "web1"));
  CHECK(f.last.services == Names{"www"});
  CHECK(f.replica.services().empty());
  CHECK(f.replica.checks().empty());
  CHECK(f.replica.service_names().empty());

  // Deregistering a node reports the node and the services that were on it.
  REQUIRE(f.writer.register_service(service("n1", "db1", "db"), {}));
  REQUIRE(f.writer.deregister_node("n1"));
  CHECK(f.last.nodes == Names{"n1"});
  CHECK(f.last.services == Names{"db"});
  CHECK(f.replica.nodes().empty());
}

TEST_CASE("apply of events from another datacenter or of bad values", "[catalog][replica]") {
  Replica replica(Keyspace("beacon/", "dc1"));
  Keyspace dc2("beacon/", "dc2");
  Change change = replica.apply(
      5, {Event{Event::Kind::put, KeyValue{dc2.node_key("n"), encode_node(node("n")), 5, 5}}});
  CHECK(change.empty());
  CHECK(replica.index() == 5);
  CHECK(replica.nodes().empty());

  Keyspace ks("beacon/", "dc1");
  replica.apply(6, {Event{Event::Kind::put, KeyValue{ks.service_key("n", "s"), encode_service(service("n", "s", "x")), 6, 6}}});
  REQUIRE(replica.service("n", "s"));
  // An undecodable put removes the object, as reset() would skip it.
  change = replica.apply(7, {Event{Event::Kind::put, KeyValue{ks.service_key("n", "s"), "garbage", 6, 7}}});
  CHECK(change.services == Names{"x"});
  CHECK(replica.service("n", "s") == nullptr);
  CHECK(replica.decode_errors() == 1);
}

TEST_CASE("the key and not the JSON names an object", "[catalog][replica]") {
  Keyspace ks("beacon/", "dc1");
  Replica replica(ks);
  replica.apply(1, {Event{Event::Kind::put, KeyValue{ks.service_key("n", "s"), encode_service(service("other", "t", "x")), 1, 1}}});
  const Service* s = replica.service("n", "s");
  REQUIRE(s);
  CHECK(s->node == "n");
  CHECK(s->id == "s");
}

TEST_CASE("health is the worst of the instance's and its node's checks", "[catalog][replica]") {
  struct Case {
    const char* what;
    std::vector<std::pair<std::string, Health>> service_checks;  // (check id, status) on web1
    std::vector<Health> node_checks;
    bool node_exists;
    Health expected;
  };
  const std::vector<Case> cases = {
      {"no checks", {}, {}, true, Health::passing},
      {"one passing", {{"a", Health::passing}}, {}, true, Health::passing},
      {"warning wins over passing", {{"a", Health::passing}, {"b", Health::warning}}, {}, true, Health::warning},
      {"critical wins", {{"a", Health::warning}, {"b", Health::critical}}, {}, true, Health::critical},
      {"node check only", {}, {Health::warning}, true, Health::warning},
      {"node critical beats passing service", {{"a", Health::passing}}, {Health::critical}, true, Health::critical},
      {"service warning beats passing node", {{"a", Health::warning}}, {Health::passing}, true, Health::warning},
      {"missing node is critical", {}, {}, false, Health::critical},
      {"missing node with passing checks", {{"a", Health::passing}}, {}, false, Health::critical},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Fixture f;
    if (c.node_exists) REQUIRE(f.writer.register_node(node("n1")));
    REQUIRE(f.writer.register_service(service("n1", "web1", "web"), {}));
    // Checks of another instance on the same node, and of another node, must not count.
    REQUIRE(f.writer.register_service(service("n1", "web2", "web"), {check("", "other", "", Health::critical)}));
    REQUIRE(f.writer.register_check(check("n2", "n2-node", "", Health::critical)));
    for (const auto& [id, status] : c.service_checks) {
      REQUIRE(f.writer.register_check(check("n1", id, "web1", status)));
    }
    int i = 0;
    for (Health status : c.node_checks) {
      REQUIRE(f.writer.register_check(check("n1", "node-" + std::to_string(i++), "", status)));
    }
    const Service* web1 = f.replica.service("n1", "web1");
    REQUIRE(web1);
    CHECK(f.replica.health(*web1) == c.expected);
    CHECK(f.replica.service_checks("n1", "web1").size() == c.service_checks.size());
    CHECK(f.replica.node_checks("n1").size() == c.node_checks.size());
  }
}

TEST_CASE("instances, service_names, services_on_node and nodes_of", "[catalog][replica]") {
  Fixture f;
  REQUIRE(f.writer.register_node(node("n1")));
  REQUIRE(f.writer.register_node(node("n10")));
  REQUIRE(f.writer.register_service(service("n10", "web-b", "web"), {}));
  REQUIRE(f.writer.register_service(service("n1", "web-a", "web"), {}));
  REQUIRE(f.writer.register_service(service("n1", "db", "postgres"), {}));
  REQUIRE(f.writer.register_service(service("n10", "cache", "redis"), {}));

  auto web = f.replica.instances("web");
  REQUIRE(web.size() == 2);
  CHECK(web[0]->node == "n1");  // ordered by (node, id)
  CHECK(web[1]->node == "n10");
  CHECK(f.replica.instances("nope").empty());
  CHECK(f.replica.service_names() == std::vector<std::string>{"postgres", "redis", "web"});
  CHECK(f.replica.services_on_node("n1") == Names{"postgres", "web"});
  CHECK(f.replica.services_on_node("n10") == Names{"redis", "web"});
  CHECK(f.replica.services_on_node("n").empty());
  // n1 and n10 share a prefix: the skip from one node to the next must not jump over n10.
  REQUIRE(f.writer.register_service(service("n1", "web-c", "web"), {}));
  REQUIRE(f.writer.register_service(service("n10", "web-d", "web"), {}));
  CHECK(f.replica.nodes_of("web") == Names{"n1", "n10"});
  CHECK(f.replica.nodes_of("redis") == Names{"n10"});
  CHECK(f.replica.nodes_of("nope").empty());

  // The replica matches a fresh reset from the store.
  Replica fresh(f.ks);
  fresh.reset(*f.store->range(f.ks.dc_prefix()));
  CHECK(fresh.services() == f.replica.services());
  CHECK(fresh.nodes() == f.replica.nodes());
  CHECK(fresh.checks() == f.replica.checks());
  CHECK(fresh.index() == f.replica.index());
}

}  // namespace
}  // namespace beacon::catalog

namespace beacon::catalog {
namespace {

// An instance's stamp changes with it, its checks, its node and the node's checks, and with
// nothing else: the DNS zone keeps a record while its stamp is the same.
TEST_CASE("instance stamps change exactly when what the instance answers with may change", "[catalog][replica]") {
  Fixture f;
  REQUIRE(f.writer.register_node(node("n1")));
  REQUIRE(f.writer.register_node(node("n2")));
  REQUIRE(f.writer.register_service(service("n1", "web-1", "web"), {}));
  REQUIRE(f.writer.register_service(service("n2", "web-2", "web"), {}));
  REQUIRE(f.writer.register_service(service("n2", "db", "db"), {}));
  auto stamps = [&](const std::string& name) {
    std::vector<uint64_t> out;
    f.replica.for_each_instance(name, [&](const Service&, uint64_t stamp) { out.push_back(stamp); });
    return out;
  };
  auto web = stamps("web"), db = stamps("db");
  REQUIRE(web.size() == 2);
  CHECK(web[0] != web[1]);

  // An instance's own check: that instance only.
  REQUIRE(f.writer.register_check(check("n1", "c1", "web-1", Health::critical)));
  auto web2 = stamps("web");
  CHECK(web2[0] != web[0]);
  CHECK(web2[1] == web[1]);
  CHECK(stamps("db") == db);

  // A node-level check: every instance on that node.
  REQUIRE(f.writer.register_check(check("n2", "maint", "", Health::critical)));
  auto web3 = stamps("web");
  CHECK(web3[0] == web2[0]);
  CHECK(web3[1] != web2[1]);
  CHECK(stamps("db") != db);

  // Re-registering the instance changed; the node record changing.
  db = stamps("db");
  Service moved = service("n1", "web-1", "web");
  moved.port = 8080;
  REQUIRE(f.writer.register_service(moved, {}));
  CHECK(stamps("web")[0] != web3[0]);
  CHECK(stamps("db") == db);
  REQUIRE(f.writer.register_node(Node{.name = "n2", .address = "10.0.0.9", .datacenter = "", .meta = {}}));
  CHECK(stamps("db") != db);
}

}  // namespace
}  // namespace beacon::catalog
