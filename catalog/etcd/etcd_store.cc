// EtcdStore (catalog/etcd/etcd_store.h): the catalog in etcd, through its JSON gateway.
#include "catalog/etcd/etcd_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/json_bounds.h"
#include "catalog/etcd/etcd_client.h"
#include "log/log.h"

namespace beacon::catalog {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kBackoffMin{100};
constexpr milliseconds kBackoffMax{2000};
constexpr int kTxnAttempts = 5;
constexpr size_t kMaxTxnOps = 128;  // etcd's default --max-txn-ops

// The gateway sends 64-bit integers as strings and omits zero values.
int64_t int_field(const json& obj, const char* name) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(name);
  if (it == obj.end()) return 0;
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return 0;
}

bool bool_field(const json& obj, const char* name) {
  if (!obj.is_object()) return false;
  auto it = obj.find(name);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string str_field(const json& obj, const char* name) {
  if (!obj.is_object()) return {};
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error corrupt(std::string message) { return Error{Error::Code::corrupt, std::move(message)}; }

std::expected<json, Error> parse_reply(const std::string& body) {
  auto doc = base::parse_bounded<json>(body);
  if (!doc.is_object()) return std::unexpected(corrupt("etcd sent a reply that is not a JSON object"));
  return doc;
}

std::expected<KeyValue, Error> decode_kv(const json& kv) {
  auto key = etcd::base64_decode(str_field(kv, "key"));
  if (!key) return std::unexpected(key.error());
  auto value = etcd::base64_decode(str_field(kv, "value"));
  if (!value) return std::unexpected(value.error());
  return KeyValue{std::move(*key), std::move(*value), uint64_t(int_field(kv, "create_revision")),
                  uint64_t(int_field(kv, "mod_revision"))};
}

json range_request(std::string_view prefix, bool keys_only) {
  json req = {{"key", etcd::base64_encode(prefix)}, {"range_end", etcd::base64_encode(etcd::prefix_end(prefix))}};
  if (keys_only) req["keys_only"] = true;
  return req;
}

}  // namespace

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
  Clock::time_point last_probe{};
  bool wake = false;  // under mu: cut the feed's backoff short (a write got through)

  // Feed thread only: every key under the prefix with its mod revision.
  std::unordered_map<std::string, uint64_t> known;
  uint64_t feed_rev = 0;
  std::string cluster_id;  // of the cluster the feed last read from
  // Lease thread only: one client per member the feed has watched, for probe_feed_member().
  std::map<std::string, std::unique_ptr<etcd::Client>> probes;

  explicit Impl(Options o, Post p)
      : options(std::move(o)), post(std::move(p)), control(client_options()), feed_client(client_options()),
        lease_client(client_options()) {}

  etcd::ClientOptions client_options() const {
    return etcd::ClientOptions{options.endpoints, options.ca_file, options.cert_file, options.key_file,
                               options.username, options.password, options.request_timeout};
  }

  void touch_contact() {
    last_contact_ns.store(Clock::now().time_since_epoch().count());
  }

  void set_error(const std::string& message) {
    std::lock_guard lock(error_mu);
    last_error = message;
  }
  std::string error_text() {
    std::lock_guard lock(error_mu);
    return last_error;
  }

  // Feed thread: hands a batch to the control thread. `restart`: the revision went back (a
  // restored cluster), so the revisions seen so far no longer count.
  void enqueue(uint64_t rev, std::vector<Event> events, bool restart = false) {
    {
      std::lock_guard lock(mu);
      fed_rev = restart ? rev : std::max(fed_rev, rev);
      synced = true;
      if (restart) restart_at = rev;
      queue.emplace_back(rev, std::move(events));
    }
    cv.notify_all();
    post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->drain();
    });
  }

  // Control thread: delivers every queued batch to the watchers, in order.
  void drain() {
    std::deque<std::pair<uint64_t, std::vector<Event>>> batches;
    uint64_t restart = 0;
    {
      std::lock_guard lock(mu);
      batches.swap(queue);
      std::swap(restart, restart_at);
    }
    for (auto& [rev, events] : batches) {
      if (restart != 0 && rev == restart) delivered = 0;
      if (rev < delivered && events.empty()) continue;
      delivered = std::max(delivered, rev);
      if (events.empty()) continue;
      for (const Event& e : events) {
        if (e.kind == Event::Kind::put) {
          delivered_hash[e.kv.key] = std::hash<std::string>{}(e.kv.value);
        } else {
          delivered_hash.erase(e.kv.key);
        }
      }
      for (auto& w : watchers) w(rev, events);
    }
  }

  void resync() {
    for (auto& fn : resync_fns) fn();
  }

  void went_up(uint64_t rev, bool first) {
    touch_contact();
    if (feed_up.exchange(true)) return;
    if (first) {
      log::info("catalog", options.name, " connected (", feed_client.endpoint(), "), revision ", rev);
    } else {
      log::warn("catalog", options.name, " reachable again (", feed_client.endpoint(), "), revision ", rev);
    }
    post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->resync();
    });
  }

  void went_down(const Error& e) {
    set_error(e.message);
    if (feed_up.exchange(false)) {
      log::error("catalog", options.name, " unreachable: ", e.message, "; serving the last catalog");
    }
  }

  void sleep_for(milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, d, [&] { return stopping.load() || wake; });
    wake = false;
  }

  // Feed thread: reads the whole prefix and queues the difference from what it knew.
  std::expected<void, Error> full_read(bool restart = false) {
    auto reply = feed_client.call("/v3/kv/range", range_request(options.watch_prefix, false).dump());
    if (!reply) return std::unexpected(reply.error());
    auto doc = parse_reply(*reply);
    if (!doc) return std::unexpected(doc.error());
    uint64_t rev = uint64_t(int_field((*doc)["header"], "revision"));
    std::unordered_map<std::string, uint64_t> now;
    std::vector<Event> events;
    if (doc->contains("kvs") && (*doc)["kvs"].is_array()) {
      for (const auto& item : (*doc)["kvs"]) {
        auto kv = decode_kv(item);
        if (!kv) continue;
        now[kv->key] = kv->mod_index;
        auto it = known.find(kv->key);
        if (it == known.end() || it->second != kv->mod_index) events.push_back(Event{Event::Kind::put, std::move(*kv)});
      }
    }
    for (const auto& [key, mod] : known) {
      if (!now.contains(key)) events.push_back(Event{Event::Kind::del, KeyValue{key, {}, 0, rev}});
    }
    known = std::move(now);
    restart = restart || rev < feed_rev;
    feed_rev = rev;
    if (std::string id = str_field((*doc)["header"], "cluster_id"); !id.empty()) cluster_id = id;
    enqueue(rev, std::move(events), restart);
    return {};
  }

  void feed_loop() {
    milliseconds backoff = kBackoffMin;
    bool need_read = true;
    bool first = true;
    while (!stopping.load()) {
      if (need_read) {
        if (auto r = full_read(); !r) {
          went_down(r.error());
          sleep_for(backoff);
          backoff = std::min(backoff * 2, kBackoffMax);
          continue;
        }
        need_read = false;
        went_up(feed_rev, first);
        first = false;
      }
      json create = {{"key", etcd::base64_encode(options.watch_prefix)},
                     {"range_end", etcd::base64_encode(etcd::prefix_end(options.watch_prefix))},
                     {"start_revision", feed_rev + 1}};
      json body = {{"create_request", create}};
      bool compacted = false;
      std::string cancelled;
      auto result = feed_client.stream(
          "/v3/watch", body.dump(),
          [&](std::string_view message) {
            auto doc = base::parse_bounded<json>(message);
            if (!doc.is_object()) return true;
            const json& res = doc.contains("result") ? doc["result"] : doc;
            if (doc.contains("error")) {
              cancelled = str_field(doc["error"], "message");
              return false;
            }
            if (int64_t compact = int_field(res, "compact_revision"); compact > 0) {
              log::warn("catalog", options.name, " compacted past revision ", feed_rev + 1, " (now ", compact,
                        "): re-reading the catalog");
              compacted = true;
              return false;
            }
            if (bool_field(res, "canceled")) {
              cancelled = str_field(res, "cancel_reason");
              if (cancelled.empty()) cancelled = "the watch was cancelled";
              return false;
            }
            const json header = res.is_object() ? res.value("header", json::object()) : json::object();
            if (bool_field(res, "created")) {
              // A restore from a snapshot makes a new cluster whose revision may be lower
              // than ours: resuming would miss everything. Read it all again instead.
              uint64_t now_rev = uint64_t(int_field(header, "revision"));
              std::string id = str_field(header, "cluster_id");
              if (!id.empty() && !cluster_id.empty() && id != cluster_id) {
                log::warn("catalog", options.name, " is another cluster now (id ", id, ", was ", cluster_id,
                          "; a restore?): re-reading the catalog");
                compacted = true;
                return false;
              }
              if (now_rev != 0 && now_rev < feed_rev) {
                log::warn("catalog", options.name, " went back in time (revision ", now_rev, " < ", feed_rev,
                          "; a restore?): re-reading the catalog");
                compacted = true;
                return false;
              }
              if (!id.empty()) cluster_id = id;
              backoff = kBackoffMin;
              went_up(feed_rev, false);
              return !stopping.load();
            }
            touch_contact();
            take_events(res);
            return !stopping.load();
          },
          std::chrono::hours(1), stopping);
      if (stopping.load()) break;
      if (compacted) {
        need_read = true;
        continue;
      }
      Error e = result ? Error{Error::Code::unavailable, options.name + ": " + cancelled}
                       : result.error();
      if (!cancelled.empty()) e.message = options.name + " watch ended: " + cancelled;
      went_down(e);
      sleep_for(backoff);
      backoff = std::min(backoff * 2, kBackoffMax);
    }
  }

  // Queues the events of one watch response, one batch per revision.
  void take_events(const json& res) {
    if (!res.contains("events") || !res["events"].is_array()) return;
    std::vector<Event> batch;
    uint64_t batch_rev = 0;
    for (const auto& item : res["events"]) {
      auto kv = decode_kv(item.contains("kv") ? item["kv"] : json::object());
      if (!kv) continue;
      bool del = str_field(item, "type") == "DELETE";
      uint64_t rev = kv->mod_index;
      if (!batch.empty() && rev != batch_rev) {
        enqueue(batch_rev, std::move(batch));
        batch = {};
      }
      batch_rev = rev;
      if (del) {
        known.erase(kv->key);
        batch.push_back(Event{Event::Kind::del, KeyValue{kv->key, {}, 0, rev}});
      } else {
        known[kv->key] = rev;
        batch.push_back(Event{Event::Kind::put, std::move(*kv)});
      }
      feed_rev = std::max(feed_rev, rev);
    }
    if (!batch.empty()) enqueue(batch_rev, std::move(batch));
  }

  // Lease thread: a member that hangs (stopped process, stuck disk) leaves the feed's watch
  // open and silent, which looks like a quiet catalog. So once per keepalive period the member
  // the feed watches must answer a status request (on a kept-alive connection of its own);
  // when it does not, the feed is made to reconnect to another member.
  void probe_feed_member() {
    if (!feed_up.load()) return;
    std::string endpoint = feed_client.endpoint();
    auto& probe = probes[endpoint];
    if (!probe) {
      etcd::ClientOptions o = client_options();
      o.endpoints = {endpoint};
      probe = std::make_unique<etcd::Client>(std::move(o));
    }
    if (auto r = probe->call("/v3/maintenance/status", "{}"); !r) {
      log::warn("catalog", options.name, " member ", endpoint, " does not answer (", r.error().message,
                "): moving the watch to another member");
      feed_client.interrupt();
    }
  }

  // Lease thread.
  void lease_loop() {
    int64_t lease = 0;
    const int64_t ttl_s = std::max<int64_t>(2, (options.lease_ttl.count() + 999) / 1000);
    const milliseconds period = std::max(milliseconds(200), options.lease_ttl / 3);
    bool warned = false;
    while (!stopping.load()) {
      if (lease == 0) {
        auto granted = lease_client.call("/v3/lease/grant", json{{"TTL", ttl_s}}.dump());
        std::expected<json, Error> doc = std::unexpected(Error{});
        if (granted) {
          doc = parse_reply(*granted);
        } else {
          doc = std::unexpected(granted.error());
        }
        int64_t id = doc ? int_field(*doc, "ID") : 0;
        if (id != 0) {
          json put = {{"key", etcd::base64_encode(options.liveness_key)},
                      {"value", etcd::base64_encode(options.liveness_value)},
                      {"lease", std::to_string(id)}};
          auto r = lease_client.call("/v3/kv/put", put.dump());
          if (r) {
            lease = id;
            lease_ok = true;
            warned = false;
            touch_contact();
            log::info("catalog", options.name, " lease ", id, " (", ttl_s, " s) holds ", options.liveness_key);
            post([weak = weak_from_this()] {
              if (auto self = weak.lock()) self->resync();
            });
          } else {
            doc = std::unexpected(r.error());
          }
        }
        if (lease == 0) {
          lease_ok = false;
          if (!warned) {
            log::warn("catalog", options.name, " cannot hold the liveness lease: ",
                      doc ? std::string("no lease granted") : doc.error().message);
            warned = true;
          }
          sleep_for(std::min(period, milliseconds(1000)));
          continue;
        }
      } else {
        // The gateway ends the keepalive stream after one reply when the request body ends,
        // so a plain call on the kept-alive connection does (no new TLS handshake or login).
        int64_t ttl = -1;
        auto r = lease_client.call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump());
        if (r) {
          auto doc = base::parse_bounded<json>(*r);
          const json& res = doc.is_object() && doc.contains("result") ? doc["result"] : doc;
          ttl = int_field(res, "TTL");
        }
        if (r && ttl > 0) {
          lease_ok = true;
          touch_contact();
          warned = false;
          probe_feed_member();
        } else if (r && ttl == 0) {
          log::warn("catalog", options.name, " lease ", lease, " expired: taking a new one");
          lease = 0;
          continue;
        } else {
          lease_ok = false;
          if (!r) set_error(r.error().message);
          if (!warned) {
            log::warn("catalog", options.name, " lease keepalive failed: ", r ? "no reply" : r.error().message);
            warned = true;
          }
        }
      }
      sleep_for(period);
    }
  }

  // One write with its retries: txn conflicts, and an election (etcd's "no leader", or a
  // member that never answered because it forwarded to the leader that just died) waited out
  // within the request timeout. Ops are idempotent, so retrying a write that may have been
  // applied is safe. Returns the revision, 0 when there was nothing to write.
  std::expected<uint64_t, Error> write(etcd::Client& client, const std::vector<Op>& ops,
                                       const std::unordered_map<std::string, size_t>* held) {
    std::expected<uint64_t, Error> result;
    const auto deadline = Clock::now() + options.request_timeout;
    for (int attempt = 0; attempt < kTxnAttempts;) {
      bool retry = false;
      result = commit_once(client, ops, retry, held);
      if (retry) {
        ++attempt;
        continue;
      }
      const std::string why = result ? std::string() : result.error().message;
      bool electing = !result && result.error().code == Error::Code::unavailable &&
                      (why.find("no leader") != std::string::npos || why.find("leader changed") != std::string::npos ||
                       why.find("no reply within") != std::string::npos);
      if (!electing || Clock::now() + milliseconds(100) >= deadline) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    if (!result && result.error().code == Error::Code::unavailable) set_error(result.error().message);
    return result;
  }

  // Any thread: waits (at most the request timeout) until the feed has read revision `rev`.
  void wait_fed(uint64_t rev) {
    std::unique_lock lock(mu);
    wake = true;  // etcd answered: a feed waiting to reconnect may go now
    cv.notify_all();
    cv.wait_for(lock, options.request_timeout, [&] { return fed_rev >= rev || stopping.load(); });
  }

  // Control thread: Error{unavailable} when etcd is known to be down and a write tried less
  // than a second ago (one write a second still tries: etcd may be back before the feed
  // notices); the others fail at once instead of each waiting for a timeout.
  std::optional<Error> known_down() {
    bool was_synced;
    {
      std::lock_guard lock(mu);
      was_synced = synced;
    }
    if (feed_up.load() || !was_synced) return std::nullopt;
    auto now = Clock::now();
    if (now - last_probe < std::chrono::seconds(1))
      return Error{Error::Code::unavailable, options.name + " unreachable: " + error_text()};
    last_probe = now;
    return std::nullopt;
  }

  struct Job {
    std::vector<std::vector<Op>> groups;
    std::vector<std::expected<uint64_t, Error>> results;
    std::vector<bool> pending;  // groups that still need a write
    Done done;
  };
  std::mutex job_mu;
  std::condition_variable job_cv;
  std::deque<Job> jobs;  // for the writer thread, in order

  void writer_loop() {
    etcd::Client client(client_options());
    for (;;) {
      Job job;
      {
        std::unique_lock lock(job_mu);
        job_cv.wait(lock, [&] { return stopping.load() || !jobs.empty(); });
        if (stopping.load()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      uint64_t top = 0;
      for (size_t i = 0; i < job.groups.size(); ++i) {
        if (!job.pending[i]) continue;
        auto r = write(client, job.groups[i], nullptr);
        if (r && *r != 0) top = std::max(top, *r);
        job.results[i] = r;
      }
      if (top != 0) wait_fed(top);
      post([weak = weak_from_this(), job = std::make_shared<Job>(std::move(job))]() mutable {
        auto self = weak.lock();
        if (!self) return;
        self->drain();
        for (auto& r : job->results) {
          if (r && *r == 0) r = self->delivered;  // nothing was written: the current index
        }
        job->done(std::move(job->results));
      });
    }
  }

  // Control thread: a del_prefix's keys at revision `rev`.
  std::expected<std::vector<std::string>, Error> keys_under(etcd::Client& client, std::string_view prefix,
                                                            int64_t& rev) {
    auto reply = client.call("/v3/kv/range", range_request(prefix, true).dump());
    if (!reply) return std::unexpected(reply.error());
    auto doc = parse_reply(*reply);
    if (!doc) return std::unexpected(doc.error());
    rev = int_field((*doc)["header"], "revision");
    std::vector<std::string> keys;
    if (doc->contains("kvs") && (*doc)["kvs"].is_array()) {
      for (const auto& item : (*doc)["kvs"]) {
        auto key = etcd::base64_decode(str_field(item, "key"));
        if (key) keys.push_back(std::move(*key));
      }
    }
    return keys;
  }

  std::expected<uint64_t, Error> commit_once(etcd::Client& client, const std::vector<Op>& ops, bool& retry,
                                             const std::unordered_map<std::string, size_t>* held) {
    retry = false;
    // The final effect per key, in first-touch order.
    std::vector<std::string> order;
    std::map<std::string, std::optional<std::string>> effect;
    json compare = json::array();
    auto set = [&](const std::string& key, std::optional<std::string> value) {
      if (!effect.contains(key)) order.push_back(key);
      effect[key] = std::move(value);
    };
    for (const Op& op : ops) {
      if (op.key.empty()) return std::unexpected(Error{Error::Code::invalid, "empty key"});
      switch (op.kind) {
        case Op::Kind::put: set(op.key, op.value); break;
        case Op::Kind::del: set(op.key, std::nullopt); break;
        case Op::Kind::del_prefix: {
          int64_t rev = 0;
          auto keys = keys_under(client, op.key, rev);
          if (!keys) return std::unexpected(keys.error());
          for (const auto& k : *keys) set(k, std::nullopt);
          for (const auto& k : order) {
            if (k.starts_with(op.key)) effect[k] = std::nullopt;
          }
          compare.push_back({{"target", "MOD"},
                             {"key", etcd::base64_encode(op.key)},
                             {"range_end", etcd::base64_encode(etcd::prefix_end(op.key))},
                             {"result", "LESS"},
                             {"mod_revision", std::to_string(rev + 1)}});
          break;
        }
      }
    }
    json success = json::array();
    for (const auto& key : order) {
      const auto& value = effect[key];
      if (value && held) {
        auto have = held->find(key);
        if (have != held->end() && have->second == std::hash<std::string>{}(*value)) continue;
      }
      if (value) {
        success.push_back({{"request_put", {{"key", etcd::base64_encode(key)}, {"value", etcd::base64_encode(*value)}}}});
      } else {
        success.push_back({{"request_delete_range", {{"key", etcd::base64_encode(key)}}}});
      }
    }
    if (success.empty()) return 0;  // nothing to write: the caller reports its current index
    // etcd takes at most --max-txn-ops (default 128) ops per txn. A bigger write (an agent
    // with hundreds of config services) goes in several txns, in order: each is atomic, the
    // whole is not (every such write is a re-assertable sync).
    uint64_t rev = 0;
    for (size_t at = 0; at < success.size(); at += kMaxTxnOps) {
      json part = json::array();
      for (size_t i = at; i < std::min(success.size(), at + kMaxTxnOps); ++i) part.push_back(success[i]);
      json txn = {{"compare", at == 0 ? compare : json::array()}, {"success", part}};
      auto reply = client.call("/v3/kv/txn", txn.dump());
      if (!reply) return std::unexpected(reply.error());
      auto doc = parse_reply(*reply);
      if (!doc) return std::unexpected(doc.error());
      touch_contact();
      if (!bool_field(*doc, "succeeded")) {
        retry = true;
        return std::unexpected(Error{Error::Code::unavailable, "etcd: the keys kept changing under a write; try again"});
      }
      rev = uint64_t(int_field((*doc)["header"], "revision"));
    }
    return rev;
  }
};

EtcdStore::EtcdStore(Options options, Post post) : impl_(std::make_shared<Impl>(std::move(options), std::move(post))) {
  impl_->feed_thread = std::thread([impl = impl_.get()] { impl->feed_loop(); });
  if (!impl_->options.liveness_key.empty())
    impl_->lease_thread = std::thread([impl = impl_.get()] { impl->lease_loop(); });
  if (!impl_->options.read_only) impl_->writer_thread = std::thread([impl = impl_.get()] { impl->writer_loop(); });
}

EtcdStore::~EtcdStore() { stop(); }

void EtcdStore::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->cv.notify_all();
  {
    std::lock_guard lock(impl_->job_mu);  // the writer checks `stopping` under this lock
  }
  impl_->job_cv.notify_all();
  impl_->feed_client.interrupt();
  impl_->lease_client.interrupt();
  if (impl_->feed_thread.joinable()) impl_->feed_thread.join();
  if (impl_->lease_thread.joinable()) impl_->lease_thread.join();
  if (impl_->writer_thread.joinable()) impl_->writer_thread.join();
}

std::expected<uint64_t, Error> EtcdStore::commit(const std::vector<Op>& ops) {
  Impl& d = *impl_;
  if (d.options.read_only) return std::unexpected(Error{Error::Code::invalid, d.options.name + " is read-only here"});
  if (ops.empty()) return d.delivered;
  if (auto down = d.known_down()) return std::unexpected(*down);
  auto result = d.write(d.control, ops, &d.delivered_hash);
  if (!result) return result;
  if (*result == 0) return d.delivered;  // only puts of values already held
  // Read our own write: wait until the feed has it, then deliver it here and now.
  d.wait_fed(*result);
  d.drain();
  return result;
}

void EtcdStore::commit_group_async(std::vector<std::vector<Op>> groups, Done done) {
  Impl& d = *impl_;
  Impl::Job job;
  job.results.assign(groups.size(), std::expected<uint64_t, Error>(d.delivered));
  job.pending.assign(groups.size(), false);
  std::optional<Error> down;
  bool any = false;
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& ops = groups[i];
    if (d.options.read_only) {
      job.results[i] = std::unexpected(Error{Error::Code::invalid, d.options.name + " is read-only here"});
      continue;
    }
    // Puts of values this replica already holds are no change (decided here, on the thread
    // that owns the delivered state), unless a delete in the same group could remove them.
    bool deletes = std::any_of(ops.begin(), ops.end(), [](const Op& op) { return op.kind != Op::Kind::put; });
    if (!deletes) {
      std::erase_if(ops, [&](const Op& op) {
        auto have = d.delivered_hash.find(op.key);
        return !op.key.empty() && have != d.delivered_hash.end() &&
               have->second == std::hash<std::string>{}(op.value);
      });
    }
    if (ops.empty()) continue;
    if (!any) down = d.known_down();
    any = true;
    if (down) {
      job.results[i] = std::unexpected(*down);
      continue;
    }
    job.pending[i] = true;
  }
  if (std::find(job.pending.begin(), job.pending.end(), true) == job.pending.end()) {
    done(std::move(job.results));
    return;
  }
  job.groups = std::move(groups);
  job.done = std::move(done);
  {
    std::lock_guard lock(d.job_mu);
    d.jobs.push_back(std::move(job));
  }
  d.job_cv.notify_one();
}

std::expected<Range, Error> EtcdStore::range(std::string_view prefix) {
  auto reply = impl_->control.call("/v3/kv/range", range_request(prefix, false).dump());
  if (!reply) return std::unexpected(reply.error());
  auto doc = parse_reply(*reply);
  if (!doc) return std::unexpected(doc.error());
  impl_->touch_contact();
  Range out;
  out.index = uint64_t(int_field((*doc)["header"], "revision"));
  if (doc->contains("kvs") && (*doc)["kvs"].is_array()) {
    for (const auto& item : (*doc)["kvs"]) {
      auto kv = decode_kv(item);
      if (!kv) return std::unexpected(kv.error());
      out.kvs.push_back(std::move(*kv));
    }
  }
  std::sort(out.kvs.begin(), out.kvs.end(), [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
  return out;
}

void EtcdStore::watch(Watcher watcher) { impl_->watchers.push_back(std::move(watcher)); }

uint64_t EtcdStore::index() const { return impl_->delivered; }

Contact EtcdStore::contact() const {
  Contact c;
  c.known_leader = impl_->feed_up.load() && impl_->lease_ok.load();
  int64_t last = impl_->last_contact_ns.load();
  if (c.known_leader) return c;  // a live watch stream and lease: in contact now
  if (last == 0) {
    c.known_leader = false;
    return c;
  }
  auto since = Clock::now().time_since_epoch() - Clock::duration(last);
  c.last_contact_ms = uint64_t(std::max<int64_t>(0, std::chrono::duration_cast<milliseconds>(since).count()));
  return c;
}

void EtcdStore::on_resync(std::function<void()> fn) { impl_->resync_fns.push_back(std::move(fn)); }

bool EtcdStore::wait_synced(std::chrono::milliseconds timeout) {
  bool ok;
  {
    std::unique_lock lock(impl_->mu);
    ok = impl_->cv.wait_for(lock, timeout, [&] { return impl_->synced; });
  }
  impl_->drain();
  return ok;
}

}  // namespace beacon::catalog
