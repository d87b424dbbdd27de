// A real etcd cluster (1, 3, 5, ... members) on 127.0.0.1 for the tests of the etcd-backed
// catalog.
//
// An EtcdCluster owns a temp directory with one subdirectory per member (m0, m1, ...): the
// member's data dir (`data/`) and its log (`etcd.log`, etcd's zap log on stderr, appended to
// across restarts). Members are named m0, m1, ..., listen for clients and peers on free high
// ports of 127.0.0.1 only, form a new cluster with a token unique to the object, and use a
// 50 ms heartbeat and a 500 ms election timeout so that elections take well under a second.
//
// start() picks the ports, starts every member in the background and waits (at most 30 s)
// until `etcdctl endpoint health` reports every member healthy. When a member exits first
// (typically because another process took one of its ports in the meantime) it stops the
// others and retries with fresh ports and empty data dirs, three times in all.
//
// Members are only ever signalled by their PIDs (never by name): kill_member() sends SIGKILL,
// stop_member() SIGTERM and, after 10 s, SIGKILL. A stopped or killed member restarts with
// the same flags and data dir (etcd ignores the --initial-* flags when the data dir exists),
// so it rejoins with its old identity and data. The destructor stops every member. Not
// thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace beacon::test {

// Where Debian's etcd-server and etcd-client packages put the programs.
inline constexpr const char* kEtcdPath = "/usr/bin/etcd";
inline constexpr const char* kEtcdctlPath = "/usr/bin/etcdctl";

// Empty when etcd and etcdctl are installed; otherwise a message saying which one is missing.
std::string missing_etcd();

class EtcdCluster {
 public:
  // A cluster of `members` members (at least 1), not started yet.
  explicit EtcdCluster(size_t members = 3);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts the cluster as described at the top and waits until it is healthy. Returns false,
  // with failure() set (command lines and member logs), when no attempt got there. Stops a
  // cluster this object already runs first (a fresh cluster: new ports, empty data dirs).
  bool start();

  size_t size() const { return members_.size(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Client URLs of every member, running or not: "http://127.0.0.1:PORT", in member order.
  std::vector<std::string> endpoints() const;
  // endpoints() joined with ',' (etcdctl's --endpoints form).
  std::string endpoints_csv() const;
  // endpoints() as a TOML array: ["http://127.0.0.1:P1", "http://127.0.0.1:P2"].
  std::string toml_endpoints() const;
  // Client URLs of the members this object has running.
  std::vector<std::string> live_endpoints() const;

  std::string endpoint(size_t i) const;
  uint16_t client_port(size_t i) const;
  uint16_t peer_port(size_t i) const;
  pid_t pid(size_t i) const;
  bool member_running(size_t i) const;
  size_t running_members() const;

  // SIGKILL to member i (by PID), and reaps it. No-op when it is not running.
  void kill_member(size_t i);
  // SIGTERM to member i, waits at most 10 s, then SIGKILL. No-op when it is not running.
  void stop_member(size_t i);
  // Restarts a stopped or killed member with its data dir and flags. Returns false when it
  // could not be spawned or exited within its first second, or, when a quorum of members is
  // then running, the running members did not become healthy within 30 s. With no quorum it
  // only checks that the member runs; wait_healthy() once enough members are back.
  bool start_member(size_t i);
  // SIGTERM to every running member, then waits for each (SIGKILL after 10 s). The leader
  // goes last, after its followers, so that it does not wait for a leadership transfer.
  void stop_all();
  // SIGKILL to every running member.
  void kill_all();
  // Restarts every member that is not running and waits (at most 30 s) until all are healthy.
  bool start_all();
  // Waits until `etcdctl endpoint health` succeeds for every running member (false at once
  // when none runs, or at the deadline; then failure() tells why).
  bool wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Runs `etcdctl --endpoints=<running members> args...` with ETCDCTL_API=3 (through `env`),
  // dial and command timeouts of 2 s and 5 s, and a 10 s limit on the whole run.
  CommandResult etcdctl(const std::vector<std::string>& args) const;
  // The store's current revision, from the header of a linearizable read; nothing when no
  // quorum answers.
  std::optional<int64_t> revision() const;
  // `etcdctl compaction --physical REV`. True when etcd accepted it.
  bool compact(int64_t rev) const;

  // The index of the raft leader among the running members, from `etcdctl endpoint
  // status`; nothing when no running member knows one.
  std::optional<size_t> leader_index() const;

  // The log of member i (everything etcd wrote to stderr, across restarts).
  std::string log(size_t i) const;
  // Why start(), start_member() or wait_healthy() failed, with the last lines of each log.
  const std::string& failure() const { return failure_; }

 private:
  struct Member {
    std::string name;
    uint16_t client_port = 0;
    uint16_t peer_port = 0;
    pid_t pid = -1;
    std::filesystem::path dir;
    std::vector<std::string> argv;
  };

  bool spawn_member(size_t i);
  // Reaps members that exited on their own; returns the index of one, if any.
  std::optional<size_t> reap_exited();
  std::string describe_members() const;
  std::string logs_tail() const;

  TempDir dir_;
  std::string token_;
  std::vector<Member> members_;
  std::string failure_;
};

}  // namespace beacon::test
