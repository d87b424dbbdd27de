// EtcdStore against a real etcd (one member on loopback, started by the test): the Store
// contract (atomic commits, ordered change feed, range), what etcd adds (a second store sees
// the first one's writes, the liveness lease), and failures (no etcd, read-only).
#include "catalog/etcd/etcd_store.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "catalog/etcd/etcd_client.h"
#include "tests/support/etcd_catch.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/loopback_port.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace beacon::catalog {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Stands in for the control thread's io_context: the store posts here, run() runs them.
class Control {
 public:
  EtcdStore::Post post() {
    return [this](std::function<void()> fn) {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(fn));
    };
  }
  void run() {
    std::deque<std::function<void()>> q;
    {
      std::lock_guard lock(mu_);
      q.swap(q_);
    }
    for (auto& fn : q) fn();
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> q_;
};

// A store plus the state its change feed builds: key -> value, as the watchers saw it.
struct Follower {
  Follower(const std::vector<std::string>& endpoints, std::string prefix, std::string liveness_key = {},
           std::chrono::milliseconds lease_ttl = 2s) {
    EtcdStore::Options o;
    o.endpoints = endpoints;
    o.request_timeout = 1s;
    o.lease_ttl = lease_ttl;
    o.watch_prefix = std::move(prefix);
    o.liveness_key = std::move(liveness_key);
    o.liveness_value = "{}";
    store = std::make_unique<EtcdStore>(std::move(o), control.post());
    store->watch([this](uint64_t index, const std::vector<Event>& events) {
      CHECK(index >= last_index);
      last_index = index;
      for (const Event& e : events) {
        if (e.kind == Event::Kind::put) {
          seen[e.kv.key] = e.kv.value;
        } else {
          seen.erase(e.kv.key);
        }
      }
      ++calls;
    });
  }
  // Runs posted work until `pred` holds or `limit` passes.
  bool until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      control.run();
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    control.run();
    return pred();
  }
  Control control;
  std::unique_ptr<EtcdStore> store;
  std::map<std::string, std::string> seen;
  uint64_t last_index = 0;
  int calls = 0;
};

Op put(std::string key, std::string value) { return Op{Op::Kind::put, std::move(key), std::move(value)}; }
Op del(std::string key) { return Op{Op::Kind::del, std::move(key), {}}; }
Op del_prefix(std::string key) { return Op{Op::Kind::del_prefix, std::move(key), {}}; }


TEST_CASE("etcd gateway encoding: base64 and prefix ends", "[etcd]") {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\0\xff\x10", 3)}) {
    auto back = etcd::base64_decode(etcd::base64_encode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
  CHECK(etcd::base64_encode("foobar") == "Zm9vYmFy");
  CHECK(etcd::base64_encode("fooba") == "Zm9vYmE=");
  CHECK_FALSE(etcd::base64_decode("Zm9v!"));
  CHECK(etcd::prefix_end("beacon/") == "beacon0");
  CHECK(etcd::prefix_end("a\xff") == "b");
  CHECK(etcd::prefix_end("") == std::string(1, '\0'));
}

TEST_CASE("EtcdStore: commits are atomic etcd transactions, read back by range and the feed", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  Follower a(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(a.store->wait_synced(5s));

  auto first = a.store->commit({put("beacon/dc1/nodes/n1", "{\"Node\":\"n1\"}"),
                                put("beacon/dc1/services/n1/web", "{\"ID\":\"web\"}"),
                                put("beacon/dc1/checks/n1/c1", "{}")});
  REQUIRE(first);
  // commit() returns after the feed delivered its own write (read-your-writes).
  CHECK(a.seen.size() == 3);
  CHECK(a.last_index == *first);
  CHECK(a.store->index() == *first);

  auto range = a.store->range("beacon/dc1/");
  REQUIRE(range);
  REQUIRE(range->kvs.size() == 3);
  CHECK(range->kvs[0].key == "beacon/dc1/checks/n1/c1");
  CHECK(range->kvs[1].key == "beacon/dc1/nodes/n1");
  CHECK(range->kvs[1].value == "{\"Node\":\"n1\"}");
  CHECK(range->kvs[1].mod_index == *first);
  CHECK(range->index >= *first);

  SECTION("etcdctl shows the keys readably") {
    auto out = cluster.etcdctl({"get", "--prefix", "beacon/", "--keys-only"});
    CHECK(out.out.find("beacon/dc1/services/n1/web") != std::string::npos);
  }

  SECTION("a del_prefix and puts under the same prefix in one commit (etcd forbids two ops on one key)") {
    auto second = a.store->commit({del_prefix("beacon/dc1/checks/n1/"), put("beacon/dc1/checks/n1/c1", "{\"v\":2}"),
                                   put("beacon/dc1/checks/n1/c2", "{}"), put("beacon/dc1/checks/n1/c2", "{\"v\":3}")});
    REQUIRE(second);
    CHECK(*second > *first);
    CHECK(a.seen["beacon/dc1/checks/n1/c1"] == "{\"v\":2}");
    CHECK(a.seen["beacon/dc1/checks/n1/c2"] == "{\"v\":3}");
    auto third = a.store->commit({del_prefix("beacon/dc1/checks/n1/")});
    REQUIRE(third);
    CHECK_FALSE(a.seen.contains("beacon/dc1/checks/n1/c1"));
    CHECK_FALSE(a.seen.contains("beacon/dc1/checks/n1/c2"));
    CHECK(a.seen.contains("beacon/dc1/nodes/n1"));
  }

  SECTION("a put of the value already there is no change: no new revision, no event") {
    int calls = a.calls;
    auto same = a.store->commit({put("beacon/dc1/nodes/n1", "{\"Node\":\"n1\"}")});
    REQUIRE(same);
    CHECK(*same == *first);
    CHECK(a.calls == calls);
    auto changed = a.store->commit({put("beacon/dc1/nodes/n1", "{\"Node\":\"n1\",\"x\":1}")});
    REQUIRE(changed);
    CHECK(*changed > *first);
    CHECK(a.calls == calls + 1);
  }

  SECTION("an empty commit changes nothing") {
    auto same = a.store->commit({});
    REQUIRE(same);
    CHECK(*same == a.store->index());
  }

  SECTION("a put with an empty key is invalid and nothing of the commit is written") {
    auto bad = a.store->commit({put("beacon/dc1/nodes/n2", "{}"), put("", "x")});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Error::Code::invalid);
    CHECK_FALSE(a.seen.contains("beacon/dc1/nodes/n2"));
  }

  SECTION("keys outside the watched prefix are not in the feed") {
    REQUIRE(a.store->commit({put("beacon/dc2/nodes/x", "{}")}));
    CHECK_FALSE(a.seen.contains("beacon/dc2/nodes/x"));
  }
}

TEST_CASE("EtcdStore: commit_group_async writes on its own thread and reports back through post", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  Follower a(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(a.store->wait_synced(5s));
  std::optional<std::vector<std::expected<uint64_t, Error>>> got;
  a.store->commit_group_async({{put("beacon/dc1/nodes/n1", "1")},
                               {put("beacon/dc1/nodes/n2", "2"), del("beacon/dc1/nodes/n1")},
                               {put("", "bad")},
                               {}},
                              [&](auto results) { got = std::move(results); });
  CHECK_FALSE(got);  // not on the calling thread: it comes through the posted queue
  REQUIRE(a.until([&] { return got.has_value(); }));
  REQUIRE(got->size() == 4);
  REQUIRE((*got)[0]);
  REQUIRE((*got)[1]);
  CHECK(*(*got)[1] > *(*got)[0]);  // in order, each its own revision
  REQUIRE_FALSE((*got)[2]);
  CHECK((*got)[2].error().code == Error::Code::invalid);
  REQUIRE((*got)[3]);  // an empty group: the current index
  // The watchers saw the writes before `done` ran.
  CHECK(a.seen.contains("beacon/dc1/nodes/n2"));
  CHECK_FALSE(a.seen.contains("beacon/dc1/nodes/n1"));

  SECTION("puts of values already held write nothing") {
    got.reset();
    uint64_t before = a.store->index();
    a.store->commit_group_async({{put("beacon/dc1/nodes/n2", "2")}}, [&](auto results) { got = std::move(results); });
    REQUIRE(a.until([&] { return got.has_value(); }));
    REQUIRE((*got)[0]);
    CHECK(*(*got)[0] == before);
  }
  SECTION("with etcd known to be down, the writes fail fast") {
    cluster.stop_all();
    REQUIRE(a.until([&] { return !a.store->contact().known_leader; }));
    (void)a.store->commit({put("beacon/dc1/nodes/probe", "x")});  // the one try a second
    got.reset();
    auto start = Clock::now();
    a.store->commit_group_async({{put("beacon/dc1/nodes/n3", "3")}}, [&](auto results) { got = std::move(results); });
    REQUIRE(a.until([&] { return got.has_value(); }));
    CHECK(Clock::now() - start < 500ms);
    REQUIRE_FALSE((*got)[0]);
    CHECK((*got)[0].error().code == Error::Code::unavailable);
  }
}

TEST_CASE("EtcdStore: a second agent's store sees the first one's writes and deletes, in order", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  Follower a(cluster.endpoints(), "beacon/dc1/");
  Follower b(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(a.store->wait_synced(5s));
  REQUIRE(b.store->wait_synced(5s));
  for (int i = 0; i < 20; ++i) REQUIRE(a.store->commit({put("beacon/dc1/services/n1/s" + std::to_string(i), "v")}));
  REQUIRE(a.store->commit({del("beacon/dc1/services/n1/s3")}));
  REQUIRE(b.until([&] { return b.last_index == a.store->index(); }));
  CHECK(b.seen.size() == 19);
  CHECK_FALSE(b.seen.contains("beacon/dc1/services/n1/s3"));
  CHECK(b.seen == a.seen);
  CHECK(b.store->contact().known_leader);
}

TEST_CASE("EtcdStore: a follower started later reads what is there, and catches up after etcd restarts", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  Follower a(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(a.store->wait_synced(5s));
  REQUIRE(a.store->commit({put("beacon/dc1/nodes/n1", "1"), put("beacon/dc1/nodes/n2", "2")}));
  Follower b(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(b.until([&] { return b.seen.size() == 2; }));

  cluster.stop_all();
  // Reads and writes now fail with "unavailable"; the follower keeps what it had.
  REQUIRE(b.until([&] { return !b.store->contact().known_leader; }));
  auto refused = b.store->commit({put("beacon/dc1/nodes/n3", "3")});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Error::Code::unavailable);
  CHECK(b.seen.size() == 2);

  REQUIRE(cluster.start_all());
  // Changes b missed, and a compaction of their history: b must re-read, not resume.
  auto changed = a.store->commit({del("beacon/dc1/nodes/n1"), put("beacon/dc1/nodes/n4", "4")});
  for (int i = 0; !changed && i < 50; ++i) {
    std::this_thread::sleep_for(100ms);  // a's own feed may still be reconnecting
    changed = a.store->commit({del("beacon/dc1/nodes/n1"), put("beacon/dc1/nodes/n4", "4")});
  }
  REQUIRE(changed);
  auto rev = cluster.revision();
  REQUIRE(rev);
  REQUIRE(cluster.compact(*rev));
  REQUIRE(b.until([&] { return b.seen.contains("beacon/dc1/nodes/n4") && !b.seen.contains("beacon/dc1/nodes/n1"); }));
  CHECK(b.seen.size() == 2);
  REQUIRE(b.until([&] { return b.store->contact().known_leader; }));
}

TEST_CASE("EtcdStore: the liveness key lives with the lease and goes when the store stops", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  Follower watcher(cluster.endpoints(), "beacon/dc1/");
  REQUIRE(watcher.store->wait_synced(5s));
  {
    Follower agent(cluster.endpoints(), "beacon/dc1/", "beacon/dc1/alive/n1", 2s);
    REQUIRE(watcher.until([&] { return watcher.seen.contains("beacon/dc1/alive/n1"); }));
    auto lease = cluster.etcdctl({"lease", "list"});
    CHECK(lease.out.find("found 1 leases") != std::string::npos);
    // Kept alive well past its TTL.
    std::this_thread::sleep_for(3s);
    watcher.control.run();
    CHECK(watcher.seen.contains("beacon/dc1/alive/n1"));
  }
  // Stopped without revoking: the key goes when the lease expires (2 s TTL, etcd's minimum).
  auto stopped = Clock::now();
  REQUIRE(watcher.until([&] { return !watcher.seen.contains("beacon/dc1/alive/n1"); }, 10s));
  auto took = Clock::now() - stopped;
  CHECK(took >= 1s);
  CHECK(took < 8s);
}

TEST_CASE("EtcdStore: etcd with authentication: user and password, token on every request", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  REQUIRE(cluster.etcdctl({"user", "add", "root:s3cret-pw"}).exit_code == 0);
  REQUIRE(cluster.etcdctl({"auth", "enable"}).exit_code == 0);
  auto as_root = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--user=root:s3cret-pw");
    return cluster.etcdctl(args);
  };
  REQUIRE(as_root({"put", "beacon/dc1/nodes/before", "{}"}).exit_code == 0);

  auto make = [&](const std::string& password, Control& control, std::string liveness = {}) {
    EtcdStore::Options o;
    o.endpoints = cluster.endpoints();
    o.request_timeout = 1s;
    o.lease_ttl = 2s;
    o.watch_prefix = "beacon/dc1/";
    o.username = "root";
    o.password = password;
    o.liveness_key = std::move(liveness);
    return std::make_unique<EtcdStore>(std::move(o), control.post());
  };
  SECTION("the right password: reads, writes, the watch and the lease all work") {
    Control control;
    auto store = make("s3cret-pw", control, "beacon/dc1/alive/n1");
    REQUIRE(store->wait_synced(5s));
    auto r = store->commit({put("beacon/dc1/nodes/n1", "{}")});
    REQUIRE(r);
    auto range = store->range("beacon/dc1/");
    REQUIRE(range);
    CHECK(range->kvs.size() >= 2);
    bool alive = false;
    for (int i = 0; i < 50 && !alive; ++i) {
      alive = as_root({"get", "beacon/dc1/alive/n1"}).out.find("alive/n1") != std::string::npos;
      std::this_thread::sleep_for(100ms);
    }
    CHECK(alive);
  }
  SECTION("a wrong password: writes fail with etcd's reason, and the password is never in it") {
    Control control;
    auto store = make("wrong-pw", control);
    CHECK_FALSE(store->wait_synced(500ms));
    auto r = store->commit({put("beacon/dc1/nodes/n1", "{}")});
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find("authentication failed") != std::string::npos);
    CHECK(r.error().message.find("wrong-pw") == std::string::npos);
    CHECK(as_root({"get", "beacon/dc1/nodes/n1"}).out.empty());
  }
}

// One etcd member serving clients over TLS with client certificates, its CA and certificates
// made with openssl for the test. Stopped by PID.
struct TlsEtcd {
  test::TempDir dir;
  uint16_t port = 0;
  pid_t pid = -1;
  std::string failure;

  std::filesystem::path file(const char* name) const { return dir.path() / name; }

  bool openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    auto r = test::run_command(args, 30s);
    if (r.exit_code != 0) failure += "openssl failed: " + r.err + "\n";
    return r.exit_code == 0;
  }
  // A CA, and a certificate it signs for 127.0.0.1 (server and client use).
  bool make_ca(const std::string& name) {
    return openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file((name + ".key").c_str()),
                    "-out", file((name + ".pem").c_str()), "-subj", "/CN=beacon test " + name, "-days", "1"});
  }
  bool make_cert(const std::string& name, const std::string& ca, const std::string& cn) {
    std::ofstream(file("ext.cnf")) << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n";
    return openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", file((name + ".key").c_str()), "-out",
                    file((name + ".csr").c_str()), "-subj", "/CN=" + cn}) &&
           openssl({"x509", "-req", "-in", file((name + ".csr").c_str()), "-CA", file((ca + ".pem").c_str()),
                    "-CAkey", file((ca + ".key").c_str()), "-CAcreateserial", "-out", file((name + ".pem").c_str()),
                    "-days", "1", "-extfile", file("ext.cnf")});
  }
  bool start() {
    if (!make_ca("ca") || !make_cert("server", "ca", "127.0.0.1") || !make_cert("client", "ca", "root") ||
        !make_ca("other"))
      return false;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port = test::pick_free_port();
      uint16_t peer = test::pick_free_port();
      std::string client = "https://127.0.0.1:" + std::to_string(port);
      std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
      std::string error;
      auto spawned = test::spawn_background(
          {test::kEtcdPath, "--name", "tls0", "--data-dir", file("data").string(), "--listen-client-urls", client,
           "--advertise-client-urls", client, "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls",
           peer_url, "--initial-cluster", "tls0=" + peer_url, "--cert-file", file("server.pem").string(),
           "--key-file", file("server.key").string(), "--trusted-ca-file", file("ca.pem").string(),
           "--client-cert-auth"},
          dir.path(), file("etcd.out"), file("etcd.log"), error);
      if (!spawned) {
        failure += error;
        return false;
      }
      pid = *spawned;
      for (int i = 0; i < 100; ++i) {
        auto r = test::run_command({"env", "ETCDCTL_API=3", test::kEtcdctlPath, "--endpoints=" + client,
                                    "--cacert=" + file("ca.pem").string(), "--cert=" + file("client.pem").string(),
                                    "--key=" + file("client.key").string(), "endpoint", "health"},
                                   10s);
        if (r.exit_code == 0) return true;
        if (test::wait_pid(pid, 100ms)) {  // exited: the port was taken meanwhile
          pid = -1;
          break;
        }
      }
      stop();
    }
    failure += "etcd with TLS did not become healthy";
    return false;
  }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    if (!test::wait_pid(pid, 10s)) {
      ::kill(pid, SIGKILL);
      test::wait_pid(pid, 10s);
    }
    pid = -1;
  }
  ~TlsEtcd() { stop(); }
};

TEST_CASE("EtcdStore: etcd over TLS with a client certificate", "[etcd]") {
  if (auto missing = test::missing_etcd(); !missing.empty()) FAIL(missing);
  TlsEtcd etcd;
  if (!etcd.start()) FAIL(etcd.failure);
  auto options = [&](const char* ca) {
    EtcdStore::Options o;
    o.endpoints = {"https://127.0.0.1:" + std::to_string(etcd.port)};
    o.request_timeout = 2s;
    o.watch_prefix = "beacon/dc1/";
    o.ca_file = etcd.file(ca).string();
    o.cert_file = etcd.file("client.pem").string();
    o.key_file = etcd.file("client.key").string();
    return o;
  };
  SECTION("trusted: writes and the watch work over https") {
    Control control;
    EtcdStore store(options("ca.pem"), control.post());
    REQUIRE(store.wait_synced(5s));
    auto r = store.commit({put("beacon/dc1/nodes/n1", "{}")});
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
    auto range = store.range("beacon/dc1/");
    REQUIRE(range);
    REQUIRE(range->kvs.size() == 1);
    CHECK(range->kvs[0].key == "beacon/dc1/nodes/n1");
  }
  SECTION("a server certificate from another CA is refused") {
    Control control;
    EtcdStore store(options("other.pem"), control.post());
    CHECK_FALSE(store.wait_synced(500ms));
    auto r = store.commit({put("beacon/dc1/nodes/n1", "{}")});
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find("TLS handshake failed") != std::string::npos);
  }
}

TEST_CASE("EtcdStore: no etcd at all", "[etcd]") {
  uint16_t port = test::closed_udp_port();  // nothing listens on TCP there either
  Follower a({"http://127.0.0.1:" + std::to_string(port)}, "beacon/dc1/");
  CHECK_FALSE(a.store->wait_synced(300ms));
  auto start = Clock::now();
  auto r = a.store->commit({put("beacon/dc1/nodes/n1", "1")});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::unavailable);
  CHECK(r.error().message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(Clock::now() - start < 2s);
  CHECK_FALSE(a.store->contact().known_leader);
  auto range = a.store->range("beacon/");
  REQUIRE_FALSE(range);
  CHECK(range.error().code == Error::Code::unavailable);
}

TEST_CASE("EtcdStore: a read-only follower refuses writes", "[etcd]") {
  test::EtcdCluster cluster(1);
  REQUIRE_ETCD_STARTED(cluster);
  EtcdStore::Options o;
  o.endpoints = cluster.endpoints();
  o.watch_prefix = "beacon/dc2/";
  o.read_only = true;
  Control control;
  EtcdStore store(std::move(o), control.post());
  auto r = store.commit({put("beacon/dc2/nodes/x", "{}")});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::invalid);
  CHECK(cluster.etcdctl({"get", "--prefix", "beacon/"}).out.empty());
}

}  // namespace
}  // namespace beacon::catalog
