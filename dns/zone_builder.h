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
#include <optional>
#include <map>
#include <set>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "catalog/replica.h"
#include "config/config.h"
#include "dns/zone.h"

namespace beacon::dns {

class ReverseMap;

class ZoneBuilder {
 public:
  explicit ZoneBuilder(const config::Config& config);
  ~ZoneBuilder();
  ZoneBuilder(ZoneBuilder&&) noexcept;
  ZoneBuilder& operator=(ZoneBuilder&&) noexcept;

  // Replaces the DNS settings (TTLs, limits, domains, SOA, health policy). The next build()
  // rebuilds everything.
  void configure(const config::Config& config);

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
  // Open-addressing set of record indexes, reused from build to build so that
  // de-duplicating costs no allocation once it has grown; the caller gives each index's hash
  // and equality.
  class IndexSet {
   public:
    static constexpr uint32_t kEmpty = UINT32_MAX;
    void reset(size_t n) {
      size_t cap = 16;
      while (cap < 2 * n) cap <<= 1;
      slots_.assign(cap, kEmpty);
    }
    // The index in the set that eq() matches, or kEmpty.
    template <typename Eq>
    uint32_t find(size_t hash, Eq&& eq) const {
      size_t mask = slots_.size() - 1;
      for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t s = slots_[i];
        if (s == kEmpty || eq(s)) return s;
      }
    }
    // The index already in the set that eq() matches, else inserts and returns `idx`.
    template <typename Eq>
    uint32_t find_or_insert(size_t hash, uint32_t idx, Eq&& eq) {
      size_t mask = slots_.size() - 1;
      for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t s = slots_[i];
        if (s == kEmpty) {
          slots_[i] = idx;
          return idx;
        }
        if (eq(s)) return s;
      }
    }

   private:
    std::vector<uint32_t> slots_;
  };

  using InstanceChanges = std::map<catalog::Change::InstanceKey, uint64_t>;  // see Change::instances
  // The entry for lower-case `key` from the instances of every catalog name in `names`
  // (names differing only in case share one DNS name). Null when there are none. Sets
  // fresh_addrs_ and gone_addrs_ (what the reverse map must claim and drop). `prev` is
  // the key's entry in the previous zone (or null). With `changed` (the instances that
  // changed under the touched names since `prev`), the entry is `prev` patched: its records
  // copied, those of changed instances replaced, O(changed) derivations; without it, every
  // instance is visited and records whose stamp is unchanged are kept.
  std::shared_ptr<const ServiceEntry> build_service(const catalog::Replica& replica, const std::string& key,
                                                    const std::set<std::string>& names, const ServiceEntry* prev,
                                                    const std::vector<const InstanceChanges*>* changed);
  // The records of a new entry (and, in `fresh_addrs`, the own addresses of records derived
  // anew), from every instance, or from `prev` and the changed ones. Both mark in reused_
  // the records of `prev` they kept.
  std::shared_ptr<ServiceEntry> collect_all(const catalog::Replica& replica, const std::set<std::string>& names,
                                            const ServiceEntry* prev, std::vector<std::string>& fresh_addrs);
  std::shared_ptr<ServiceEntry> collect_patch(const catalog::Replica& replica, const std::string& key,
                                              const ServiceEntry& prev,
                                              const std::vector<const InstanceChanges*>& changed,
                                              std::vector<std::string>& fresh_addrs);
  // The record of one instance (family 0 when its address is not an IP literal); its text
  // goes into `arena`.
  InstanceRecord make_record(const catalog::Replica& replica, const catalog::Service& svc, catalog::Health health,
                             TextArena& arena) const;
  // Fills `view` from the `members` (indexes into `records`), de-duplicated; `distinct`:
  // the records are known to have pairwise different addresses and SRV targets.
  void make_view(const std::vector<InstanceRecord>& records, const std::vector<uint32_t>& members, bool distinct,
                 View& view);
  bool usable(catalog::Health h) const {
    return h == catalog::Health::passing || (!only_passing_ && h == catalog::Health::warning);
  }
  std::shared_ptr<const NodeEntry> build_node(const catalog::Node& node) const;
  std::unique_ptr<ReverseMap> reverse_;  // who owns each address (dns/reverse_map.h)

  std::shared_ptr<const ZoneSettings> settings_;
  std::vector<std::pair<std::string, uint32_t>> ttl_rules_;  // lower-case name or prefix* -> seconds
  bool only_passing_ = false;
  double protect_threshold_ = 0;
  bool full_next_ = true;
  std::shared_ptr<const Zone> current_;
  std::shared_ptr<const RemoteZones> remote_;
  std::vector<std::pair<std::string, bool>> transitions_;
  IndexSet seen_addr_, seen_srv_, seen_txt_, seen_target_, prev_stamps_;  // scratch
  std::vector<uint8_t> reused_;  // scratch: per record of the previous entry, kept in this one
  // Set by build_service: own addresses (bytes) of the records that came and that left.
  std::vector<std::string> fresh_addrs_, gone_addrs_;
};

// Converts the agent config into answer-path settings. Exposed for tests.
ZoneSettings make_zone_settings(const config::Config& config);

// RFC 1464 TXT rdata (one character-string) for a meta pair, escaped as Consul does; a key
// starting with "rfc1035-" gives the value alone. Exposed for tests.
std::string meta_txt_rdata(const std::string& key, const std::string& value);

}  // namespace beacon::dns
