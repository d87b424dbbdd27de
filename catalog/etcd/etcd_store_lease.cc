// EtcdStore's lease thread: grant, keepalive, the liveness key, and the probe of the feed's member.
#include "catalog/etcd/etcd_store_impl.h"

#include <algorithm>

#include "base/json_bounds.h"
#include "log/log.h"

namespace beacon::catalog {

using etcd::int_field;
using etcd::parse_reply;
using json = nlohmann::json;
using std::chrono::milliseconds;

// Lease thread: a member that hangs (stopped process, stuck disk) leaves the feed's watch
// open and silent, which looks like a quiet catalog. So once per keepalive period the member
// the feed watches must answer a status request (on a kept-alive connection of its own);
// when it does not, the feed is made to reconnect to another member.
void EtcdStore::Impl::probe_feed_member() {
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
void EtcdStore::Impl::lease_loop() {
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

}  // namespace beacon::catalog
