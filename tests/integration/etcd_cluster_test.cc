// The EtcdCluster helper itself, checked with etcdctl only (no beacon): the etcd tests rely
// on it to start clusters, lose members and bring them back with their data.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tests/support/etcd_catch.h"
#include "tests/support/etcd_cluster.h"

namespace beacon::test {
namespace {

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\nstdout: " + r.out +
         "\nstderr: " + r.err;
}

// The value of `key` (`etcdctl get --print-value-only`), or "<missing>" / "<error: ...>".
std::string get(const EtcdCluster& cluster, const std::string& key) {
  CommandResult r = cluster.etcdctl({"get", key, "--print-value-only"});
  if (r.exit_code != 0) return "<error: " + describe(r) + ">";
  if (r.out.empty()) return "<missing>";
  if (r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

// "" when `etcdctl put key value` succeeded; otherwise what etcdctl said.
std::string put(const EtcdCluster& cluster, const std::string& key, const std::string& value) {
  CommandResult r = cluster.etcdctl({"put", key, value});
  return r.exit_code == 0 && r.out.find("OK") != std::string::npos ? "" : describe(r);
}

bool process_exists(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH); }


TEST_CASE("etcd cluster: three members start, lose one, and keep their data across a full restart",
          "[integration][etcd][etcd_cluster]") {
  std::vector<pid_t> pids;
  {
    EtcdCluster cluster(3);
    REQUIRE_ETCD_STARTED(cluster);
    REQUIRE(cluster.size() == 3);
    REQUIRE(cluster.running_members() == 3);
    std::vector<std::string> eps = cluster.endpoints();
    REQUIRE(eps.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(eps[i] == "http://127.0.0.1:" + std::to_string(cluster.client_port(i)));
      CHECK(cluster.client_port(i) != cluster.peer_port(i));
      pids.push_back(cluster.pid(i));
    }
    CHECK(cluster.endpoints_csv() == eps[0] + "," + eps[1] + "," + eps[2]);
    CHECK(cluster.toml_endpoints() == "[\"" + eps[0] + "\", \"" + eps[1] + "\", \"" + eps[2] + "\"]");

    // All three are members of one cluster.
    CommandResult members = cluster.etcdctl({"member", "list"});
    INFO(describe(members));
    REQUIRE(members.exit_code == 0);
    for (const char* name : {", m0,", ", m1,", ", m2,"}) CHECK(members.out.find(name) != std::string::npos);

    REQUIRE(put(cluster, "k1", "v1") == "");
    CHECK(get(cluster, "k1") == "v1");

    // One member killed: a quorum of two still commits writes (once it has a leader: when
    // the killed member led, a put during the election fails with "leader changed").
    cluster.kill_member(2);
    CHECK_FALSE(cluster.member_running(2));
    CHECK(cluster.live_endpoints().size() == 2);
    REQUIRE_ETCD_OK(cluster, cluster.wait_healthy(std::chrono::seconds(10)));
    REQUIRE(put(cluster, "k2", "v2") == "");
    CHECK(get(cluster, "k2") == "v2");

    // Everything down, everything back: the data is still there, on every member.
    cluster.stop_all();
    CHECK(cluster.running_members() == 0);
    for (pid_t pid : pids) CHECK_FALSE(process_exists(pid));
    REQUIRE_ETCD_OK(cluster, cluster.start_all());
    CHECK(cluster.running_members() == 3);
    CHECK(get(cluster, "k1") == "v1");
    CHECK(get(cluster, "k2") == "v2");
    // Member 2 missed k2 while it was dead; it caught up on the restart.
    CommandResult m2 = run_command({"env", "ETCDCTL_API=3", kEtcdctlPath, "--endpoints=" + cluster.endpoint(2),
                                    "--command-timeout=5s", "get", "k2", "--print-value-only"},
                                   std::chrono::seconds(10));
    INFO(describe(m2));
    CHECK(m2.out == "v2\n");
    pids.clear();
    for (size_t i = 0; i < 3; ++i) pids.push_back(cluster.pid(i));
  }
  // The destructor stopped every member.
  for (pid_t pid : pids) CHECK_FALSE(process_exists(pid));
}

TEST_CASE("etcd cluster: a stopped member restarts with its data, revision and compaction",
          "[integration][etcd][etcd_cluster]") {
  EtcdCluster cluster(3);
  REQUIRE_ETCD_STARTED(cluster);

  std::optional<int64_t> rev0 = cluster.revision();
  REQUIRE(rev0);
  REQUIRE(put(cluster, "c", "1") == "");
  REQUIRE(put(cluster, "c", "2") == "");
  std::optional<int64_t> rev1 = cluster.revision();
  REQUIRE(rev1);
  CHECK(*rev1 == *rev0 + 2);

  std::optional<size_t> leader = cluster.leader_index();
  REQUIRE(leader);
  CHECK(*leader < 3);

  cluster.stop_member(0);
  CHECK_FALSE(cluster.member_running(0));
  REQUIRE_ETCD_OK(cluster, cluster.wait_healthy(std::chrono::seconds(10)));
  REQUIRE(put(cluster, "c", "3") == "");
  REQUIRE_ETCD_OK(cluster, cluster.start_member(0));
  CHECK(cluster.member_running(0));
  CHECK(cluster.running_members() == 3);

  // An old revision reads until it is compacted away.
  CommandResult old = cluster.etcdctl({"get", "c", "--print-value-only", "--rev=" + std::to_string(*rev1)});
  INFO(describe(old));
  CHECK(old.out == "2\n");
  std::optional<int64_t> rev2 = cluster.revision();
  REQUIRE(rev2);
  CHECK(*rev2 == *rev1 + 1);
  REQUIRE(cluster.compact(*rev2));
  CommandResult gone = cluster.etcdctl({"get", "c", "--rev=" + std::to_string(*rev1)});
  INFO(describe(gone));
  CHECK(gone.exit_code != 0);
  CHECK((gone.out + gone.err).find("compacted") != std::string::npos);
  CHECK(get(cluster, "c") == "3");
  CHECK_FALSE(cluster.compact(*rev2 + 1000));  // a future revision
}

TEST_CASE("etcd cluster: a single member, down and back with start_all",
          "[integration][etcd][etcd_cluster]") {
  EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  CHECK(cluster.toml_endpoints() == "[\"http://127.0.0.1:" + std::to_string(cluster.client_port(0)) + "\"]");
  REQUIRE(put(cluster, "solo", "x") == "");
  cluster.kill_all();
  CHECK(cluster.running_members() == 0);
  CHECK_FALSE(cluster.wait_healthy(std::chrono::milliseconds(100)));
  CHECK_FALSE(cluster.revision());  // etcdctl fails (after its 5 s command timeout)
  REQUIRE_ETCD_OK(cluster, cluster.start_all());
  CHECK(get(cluster, "solo") == "x");
  CHECK(cluster.log(0).find("--- beacon test: $ ") != std::string::npos);
}

}  // namespace
}  // namespace beacon::test
