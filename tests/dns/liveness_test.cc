// Node liveness (catalog::Replica::set_liveness) as DNS sees it: an alive key's put or delete
// is a node change, and the zone's incremental rebuild must drop and restore that node's
// instances.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

const std::string kSerf(catalog::kAgentCheckId);

struct Live : Fixture {
  Live() {
    replica().set_liveness(true);
    node("n2", "10.0.0.2");
    node("n3", "10.0.0.3");
    put_alive("agent1");
    put_alive("n2");
    node_check("agent1", kSerf, catalog::Health::passing);
    node_check("n2", kSerf, catalog::Health::passing);
    service("agent1", "web-1", "web", "10.1.0.1", 80);
    service("n2", "web-2", "web", "10.1.0.2", 80);
    service("n3", "web-3", "web", "10.1.0.3", 80);  // no serfHealth: not subject to liveness
  }
  void put_alive(const std::string& n) {
    REQUIRE(writer().store().commit({{catalog::Op::Kind::put, replica().keyspace().alive_key(n), "1"}}).has_value());
  }
  void del_alive(const std::string& n) {
    REQUIRE(writer().store().commit({{catalog::Op::Kind::del, replica().keyspace().alive_key(n), {}}}).has_value());
  }
  std::vector<std::string> web() {
    Reply r = ask("web.service.consul.", kTypeA);
    std::vector<std::string> out;
    for (const std::string& rr : r.answer) out.push_back(rr.substr(rr.rfind(' ') + 1));
    std::sort(out.begin(), out.end());
    return out;
  }
};

using Addrs = std::vector<std::string>;

TEST_CASE("liveness: a node's instances leave DNS with its alive key and come back", "[dns][liveness]") {
  Live f;
  CHECK(f.web() == Addrs{"10.1.0.1", "10.1.0.2", "10.1.0.3"});

  f.del_alive("n2");
  CHECK(f.web() == Addrs{"10.1.0.1", "10.1.0.3"});
  // The node itself still resolves: only its instances' health changed.
  CHECK(f.ask("n2.node.consul.", kTypeA).rcode == "NOERROR");

  f.del_alive("agent1");
  CHECK(f.web() == Addrs{"10.1.0.3"});

  f.put_alive("n2");
  CHECK(f.web() == Addrs{"10.1.0.2", "10.1.0.3"});
  f.put_alive("agent1");
  CHECK(f.web() == Addrs{"10.1.0.1", "10.1.0.2", "10.1.0.3"});

  // Nodes without serfHealth do not care about alive keys.
  f.put_alive("n3");
  f.del_alive("n3");
  CHECK(f.web() == Addrs{"10.1.0.1", "10.1.0.2", "10.1.0.3"});
}

TEST_CASE("liveness: with every web node gone the name is NXDOMAIN", "[dns][liveness]") {
  Live f;
  REQUIRE(f.writer().deregister_service("n3", "web-3").has_value());
  f.del_alive("agent1");
  f.del_alive("n2");
  CHECK(f.ask("web.service.consul.", kTypeA).rcode == "NXDOMAIN");
  f.put_alive("n2");
  CHECK(f.web() == Addrs{"10.1.0.2"});
}

}  // namespace
}  // namespace beacon::dns::test
