// beacon::dns::ZoneBuilder: turns the catalog replica into published Zone snapshots.
//
// Runs on the control thread. Each build() starts from the previous Zone and rebuilds only
// what the catalog Change touched (the services named in it, the services on the nodes in
// it, those nodes, and the reverse map when addresses moved); everything else is shared with
// the previous Zone. configure() takes new settings (SIGHUP) and makes the next build full.
// Not thread-safe; the Zones it returns are immutable and may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog/replica.h"
#include "dns/zone.h"
#include "dns/zone_options.h"

namespace beacon::dns {

class ReverseMap;
class ServiceBuilder;

class ZoneBuilder {
 public:
  explicit ZoneBuilder(const ZoneOptions& options);
  ~ZoneBuilder();
  ZoneBuilder(ZoneBuilder&&) noexcept;
  ZoneBuilder& operator=(ZoneBuilder&&) noexcept;

  // Replaces the DNS settings (TTLs, limits, domains, SOA, health policy). The next build()
  // rebuilds everything.
  void configure(const ZoneOptions& options);

  // Returns a new Zone reflecting `replica`, rebuilding the parts `change` touched (all of
  // it after configure() or when change.all is set). Never fails: an instance whose address
  // is not an IP literal is left out of answers.
  std::shared_ptr<const Zone> build(const catalog::Replica& replica, const catalog::Change& change);

  // The other datacenters' zones, placed in every Zone built from now on.
  void set_remote(std::shared_ptr<const RemoteZones> remote) { remote_ = std::move(remote); }

  // The most recent Zone (an empty one before the first build).
  std::shared_ptr<const Zone> current() const { return current_; }

  // The TTL in seconds that service_ttl gives `service` (exact name, then the longest
  // matching "prefix*", then "*", else 0).
  uint32_t service_ttl(const std::string& service) const;

  // Names of services whose protected mode changed in the last build, with the new state.
  const std::vector<std::pair<std::string, bool>>& protect_transitions() const { return transitions_; }

 private:
  std::shared_ptr<const NodeEntry> build_node(const catalog::Node& node) const;

  std::shared_ptr<const ZoneSettings> settings_;
  bool full_next_ = true;
  std::shared_ptr<const Zone> current_;
  std::shared_ptr<const RemoteZones> remote_;
  std::vector<std::pair<std::string, bool>> transitions_;
  // Private state, in headers of their own (dns/service_builder.h, dns/reverse_map.h): the
  // service entries' policy and build-to-build scratch, and who owns each address.
  std::unique_ptr<ServiceBuilder> services_;
  std::unique_ptr<ReverseMap> reverse_;
};

// RFC 1464 TXT rdata (one character-string) for a meta pair, escaped as Consul does; a key
// starting with "rfc1035-" gives the value alone. Exposed for tests.
std::string meta_txt_rdata(const std::string& key, const std::string& value);

}  // namespace beacon::dns
