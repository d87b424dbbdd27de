// PRIVATE to catalog/etcd/: EtcdStore::Impl, the state that EtcdStore's files share, and the
// gateway JSON helpers they use. The files, by job: etcd_store.cc (start, stop, contact, these
// helpers), etcd_store_txn.cc (commits and the writer thread), etcd_store_feed.cc (range(), the
// watch feed and its delivery to the watchers), etcd_store_lease.cc (the lease thread).
//
// Thread safety: one Impl is shared by the control, feed, lease and writer threads, so every
// field follows one rule, written next to it: set by the constructor and read-only after
// (options, post; the std::thread handles are touched only by EtcdStore's constructor and
// stop()); owned by one thread (the "control/feed/lease thread only" groups, and each
// etcd::Client, of which only interrupt() and endpoint() may be called from another thread);
// atomic (stopping and the reachability flags); or guarded by a mutex (`mu`: queue, fed_rev,
// restart_at, synced, wake; `error_mu`: last_error; `job_mu`: jobs). A new field takes one of
// these rules. The helpers are pure: any thread may call them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalog/etcd/etcd_client.h"
#include "catalog/etcd/etcd_store.h"

namespace beacon::catalog {

namespace etcd {

// The gateway sends 64-bit integers as strings and omits zero values: a missing or
// unreadable field reads 0, false or "".
int64_t int_field(const nlohmann::json& obj, const char* name);
bool bool_field(const nlohmann::json& obj, const char* name);
std::string str_field(const nlohmann::json& obj, const char* name);
// A reply body as a JSON object (parsed with the bounds of base/json_bounds.h), or Error{corrupt}.
std::expected<nlohmann::json, Error> parse_reply(const std::string& body);
// The body of a /v3/kv/range request for every key under `prefix`.
nlohmann::json range_request(std::string_view prefix, bool keys_only);

}  // namespace etcd

struct EtcdStore::Impl : std::enable_shared_from_this<EtcdStore::Impl> {
  Options options;
  Post post;
  etcd::Client control;  // commit() and range(), on the control thread
  etcd::Client feed_client;
  etcd::Client lease_client;
  std::thread feed_thread, lease_thread, writer_thread;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<uint64_t, std::vector<Event>>> queue;  // revisions the feed has read
  uint64_t fed_rev = 0;
  uint64_t restart_at = 0;  // set with a restart batch; drain() restarts `delivered` there
  bool synced = false;

  // Reachability, written by every thread.
  std::atomic<int64_t> last_contact_ns{0};
  std::atomic<bool> feed_up{false};
  std::atomic<bool> lease_ok{true};
  std::mutex error_mu;
  std::string last_error;

  // Control thread only.
  std::vector<Watcher> watchers;
  std::vector<std::function<void()>> resync_fns;
  uint64_t delivered = 0;
  // Every delivered key's value hash, so a put of the value already there is skipped (no new
  // revision, no event on every agent), as the embedded store does.
  std::unordered_map<std::string, size_t> delivered_hash;
  std::chrono::steady_clock::time_point last_probe{};
  bool wake = false;  // under mu: cut the feed's backoff short (a write got through)

  // Feed thread only: every key under the prefix with its mod revision.
  std::unordered_map<std::string, uint64_t> known;
  uint64_t feed_rev = 0;
  std::string cluster_id;  // of the cluster the feed last read from
  // Lease thread only: one client per member the feed has watched, for probe_feed_member().
  std::map<std::string, std::unique_ptr<etcd::Client>> probes;

  // The writer thread's queue (commit_group_async()).
  struct Job {
    std::vector<std::vector<Op>> groups;
    std::vector<std::expected<uint64_t, Error>> results;
    std::vector<bool> pending;  // groups that still need a write
    Done done;
  };
  std::mutex job_mu;
  std::condition_variable job_cv;
  std::deque<Job> jobs;  // for the writer thread, in order

  explicit Impl(Options o, Post p);

  // etcd_store.cc
  etcd::ClientOptions client_options() const;
  void touch_contact();
  void set_error(const std::string& message);
  std::string error_text();
  void sleep_for(std::chrono::milliseconds d);  // feed and lease threads: until `d`, stop or wake

  // etcd_store_feed.cc: the feed thread, and the control thread's side of its hand-over.
  void enqueue(uint64_t rev, std::vector<Event> events, bool restart = false);
  void drain();
  void resync();
  void went_up(uint64_t rev, bool first);
  void went_down(const Error& e);
  std::expected<void, Error> full_read(bool restart = false);
  void feed_loop();
  void take_events(const nlohmann::json& res);

  // etcd_store_lease.cc: the lease thread.
  void probe_feed_member();
  void lease_loop();

  // etcd_store_txn.cc: writes, from commit() (control thread) and the writer thread.
  std::expected<uint64_t, Error> write(etcd::Client& client, const std::vector<Op>& ops,
                                       const std::unordered_map<std::string, size_t>* held);
  void wait_fed(uint64_t rev);
  std::optional<Error> known_down();
  void writer_loop();
  std::expected<std::vector<std::string>, Error> keys_under(etcd::Client& client, std::string_view prefix,
                                                            int64_t& rev);
  std::expected<uint64_t, Error> commit_once(etcd::Client& client, const std::vector<Op>& ops, bool& retry,
                                             const std::unordered_map<std::string, size_t>* held);
};

}  // namespace beacon::catalog
