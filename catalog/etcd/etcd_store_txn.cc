// EtcdStore's transactions: commit(), commit_group_async() and its writer thread, ops into etcd txns.
#include "catalog/etcd/etcd_store_impl.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>

namespace beacon::catalog {

using etcd::bool_field;
using etcd::int_field;
using etcd::parse_reply;
using etcd::range_request;
using etcd::str_field;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr int kTxnAttempts = 5;
constexpr size_t kMaxTxnOps = 128;  // etcd's default --max-txn-ops

}  // namespace

// One write with its retries: txn conflicts, and an election (etcd's "no leader", or a
// member that never answered because it forwarded to the leader that just died) waited out
// within the request timeout. Ops are idempotent, so retrying a write that may have been
// applied is safe. Returns the revision, 0 when there was nothing to write.
std::expected<uint64_t, Error> EtcdStore::Impl::write(etcd::Client& client, const std::vector<Op>& ops,
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
void EtcdStore::Impl::wait_fed(uint64_t rev) {
  std::unique_lock lock(mu);
  wake = true;  // etcd answered: a feed waiting to reconnect may go now
  cv.notify_all();
  cv.wait_for(lock, options.request_timeout, [&] { return fed_rev >= rev || stopping.load(); });
}

// Control thread: Error{unavailable} when etcd is known to be down and a write tried less
// than a second ago (one write a second still tries: etcd may be back before the feed
// notices); the others fail at once instead of each waiting for a timeout.
std::optional<Error> EtcdStore::Impl::known_down() {
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

void EtcdStore::Impl::writer_loop() {
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
std::expected<std::vector<std::string>, Error> EtcdStore::Impl::keys_under(etcd::Client& client,
                                                                           std::string_view prefix, int64_t& rev) {
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

std::expected<uint64_t, Error> EtcdStore::Impl::commit_once(etcd::Client& client, const std::vector<Op>& ops,
                                                            bool& retry,
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

}  // namespace beacon::catalog
