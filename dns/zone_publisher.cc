// ZonePublisher (dns/zone_publisher.h): zone builds on catalog changes, local and remote.
#include "dns/zone_publisher.h"

#include "log/log.h"

namespace beacon::dns {

ZonePublisher::ZonePublisher(const ZoneOptions& options, SnapshotHolder<Zone>& holder)
    : holder_(holder), options_(options), local_(options) {}

void ZonePublisher::follow_local(catalog::ChangeFeed& feed) {
  local_replica_ = &feed.replica();
  feed.subscribe([this](uint64_t, const catalog::Change& change) { publish_local(change); });
}

void ZonePublisher::follow_remote(const std::string& name, catalog::ChangeFeed& feed) {
  remote_.push_back(std::make_unique<Remote>(name, feed, options_));
  Remote* remote = remote_.back().get();
  feed.subscribe([this, remote](uint64_t, const catalog::Change& change) { on_remote_change(*remote, change); });
}

void ZonePublisher::publish_local(const catalog::Change& change) {
  if (local_replica_ == nullptr) return;
  holder_.publish(local_.build(*local_replica_, change));
  for (const auto& [service, on] : local_.protect_transitions())
    log::warn("dns", "service ", service,
              on ? " is below its protect_threshold: answering with all instances"
                 : " is back above its protect_threshold");
}

void ZonePublisher::on_remote_change(Remote& remote, const catalog::Change& change) {
  if (change.empty()) return;
  remote.zone = remote.builder.build(remote.feed.replica(), change);
  refresh_remote_zones();
  publish_local(catalog::Change{});
}

void ZonePublisher::refresh_remote_zones() {
  auto zones = std::make_shared<RemoteZones>();
  for (const auto& r : remote_) {
    if (r->zone) zones->emplace_back(r->name, r->zone);
  }
  local_.set_remote(std::move(zones));
}

void ZonePublisher::configure(const ZoneOptions& options) {
  options_ = options;
  local_.configure(options_);
  catalog::Change all;
  all.all = true;
  for (auto& r : remote_) {
    r->builder.configure(options_.for_datacenter(r->name));
    r->zone = r->builder.build(r->feed.replica(), all);
  }
  if (!remote_.empty()) refresh_remote_zones();
  publish_local(all);
}

}  // namespace beacon::dns
