// EtcdStore's watch feed: range(), the read and watch of the prefix, re-reads, resync, delivery to watchers.
#include "catalog/etcd/etcd_store_impl.h"

#include <algorithm>

#include "base/json_bounds.h"
#include "log/log.h"

namespace beacon::catalog {

using etcd::bool_field;
using etcd::int_field;
using etcd::parse_reply;
using etcd::range_request;
using etcd::str_field;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kBackoffMin{100};
constexpr milliseconds kBackoffMax{2000};

std::expected<KeyValue, Error> decode_kv(const json& kv) {
  auto key = etcd::base64_decode(str_field(kv, "key"));
  if (!key) return std::unexpected(key.error());
  auto value = etcd::base64_decode(str_field(kv, "value"));
  if (!value) return std::unexpected(value.error());
  return KeyValue{std::move(*key), std::move(*value), uint64_t(int_field(kv, "create_revision")),
                  uint64_t(int_field(kv, "mod_revision"))};
}

}  // namespace

// Feed thread: hands a batch to the control thread. `restart`: the revision went back (a
// restored cluster), so the revisions seen so far no longer count.
void EtcdStore::Impl::enqueue(uint64_t rev, std::vector<Event> events, bool restart) {
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
void EtcdStore::Impl::drain() {
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

void EtcdStore::Impl::resync() {
  for (auto& fn : resync_fns) fn();
}

void EtcdStore::Impl::went_up(uint64_t rev, bool first) {
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

void EtcdStore::Impl::went_down(const Error& e) {
  set_error(e.message);
  if (feed_up.exchange(false)) {
    log::error("catalog", options.name, " unreachable: ", e.message, "; serving the last catalog");
  }
}

// Feed thread: reads the whole prefix and queues the difference from what it knew.
std::expected<void, Error> EtcdStore::Impl::full_read(bool restart) {
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

void EtcdStore::Impl::feed_loop() {
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
void EtcdStore::Impl::take_events(const json& res) {
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
