// beacon::dns::ZonePublisher: keeps the zone the listeners answer from in step with the
// catalog.
//
// It subscribes to the local datacenter's ChangeFeed and, for each followed datacenter, to
// that datacenter's feed: a local change rebuilds the local zone (incrementally, through
// ZoneBuilder) and publishes it to the SnapshotHolder the UDP workers and the TCP listener
// read; a followed datacenter's change rebuilds that datacenter's zone, which the local zone
// answers "<name>.service.<dc>" from, and publishes the local zone again. configure() takes
// new settings (SIGHUP) and rebuilds every zone whole. Control thread only; the published
// Zones are immutable and read from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/change_feed.h"
#include "dns/snapshot.h"
#include "dns/zone.h"
#include "dns/zone_builder.h"

namespace beacon::dns {

class ZonePublisher {
 public:
  // `holder` must outlive the publisher; the feeds must outlive it too.
  ZonePublisher(const ZoneOptions& options, SnapshotHolder<Zone>& holder);

  // Publishes the local zone on every flush of `feed` (the first right away, when the feed
  // loads or follows its store). Call once, before the feed loads.
  void follow_local(catalog::ChangeFeed& feed);
  // Another datacenter `name`, followed read-only: its zone is rebuilt on each flush of
  // `feed` and served through the local zone, with the options in force for the local one
  // (from the constructor or the last configure()) under its own datacenter name.
  void follow_remote(const std::string& name, catalog::ChangeFeed& feed);

  // New settings (SIGHUP): every zone is rebuilt whole and the local one published.
  void configure(const ZoneOptions& options);

  ZoneBuilder& builder() { return local_; }

 private:
  struct Remote {
    Remote(std::string dc, catalog::ChangeFeed& f, const ZoneOptions& options)
        : name(std::move(dc)), feed(f), builder(options.for_datacenter(name)) {}
    std::string name;
    catalog::ChangeFeed& feed;
    ZoneBuilder builder;
    std::shared_ptr<const Zone> zone;
  };
  void publish_local(const catalog::Change& change);
  void on_remote_change(Remote& remote, const catalog::Change& change);
  void refresh_remote_zones();

  SnapshotHolder<Zone>& holder_;
  ZoneOptions options_;
  ZoneBuilder local_;
  const catalog::Replica* local_replica_ = nullptr;
  std::vector<std::unique_ptr<Remote>> remote_;
};

}  // namespace beacon::dns
