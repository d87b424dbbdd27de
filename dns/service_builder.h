// beacon::dns::ServiceBuilder: the ServiceEntry of one DNS name, built for ZoneBuilder.
//
// Private to dns/ (ZoneBuilder holds one by pointer). An entry is built from every instance
// under the name, or patched from the previous zone's entry when the catalog change names
// the instances that changed; records whose instance did not change are kept. build() also
// reports the own addresses of the records that came and that left (the reverse map's
// input). Scratch sets live from build to build, so that de-duplicating costs no allocation
// once they have grown. Not thread-safe: it belongs to the builder, on the control thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/replica.h"
#include "dns/zone.h"
#include "dns/zone_options.h"  // ServicePolicy

namespace beacon::dns {

class ServiceBuilder {
 public:
  using InstanceChanges = std::map<catalog::Change::InstanceKey, uint64_t>;  // see Change::instances

  // `settings` gives the datacenter label of SRV targets.
  void configure(std::shared_ptr<const ZoneSettings> settings, ServicePolicy policy);

  // The TTL in seconds that service_ttl gives `service` (exact name, then the longest
  // matching "prefix*", then "*", else 0).
  uint32_t service_ttl(const std::string& service) const;

  // The entry for lower-case `key` from the instances of every catalog name in `names`
  // (names differing only in case share one DNS name). Null when there are none. Sets
  // fresh_addrs() and gone_addrs(). `prev` is the key's entry in the previous zone (or
  // null). With `changed` (the instances that changed under the touched names since `prev`),
  // the entry is `prev` patched: its records copied, those of changed instances replaced,
  // O(changed) derivations; without it, every instance is visited and records whose stamp
  // is unchanged are kept.
  std::shared_ptr<const ServiceEntry> build(const catalog::Replica& replica, const std::string& key,
                                            const std::set<std::string>& names, const ServiceEntry* prev,
                                            const std::vector<const InstanceChanges*>* changed);
  // Own addresses (bytes) of the records that came and that left in the last build(): what
  // the reverse map must claim and drop.
  const std::vector<std::string>& fresh_addrs() const { return fresh_addrs_; }
  const std::vector<std::string>& gone_addrs() const { return gone_addrs_; }

 private:
  // Open-addressing set of record indexes, reused from build to build; the caller gives each
  // index's hash and equality.
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
    return h == catalog::Health::passing || (!policy_.only_passing && h == catalog::Health::warning);
  }

  std::shared_ptr<const ZoneSettings> settings_;
  ServicePolicy policy_;
  IndexSet seen_addr_, seen_srv_, seen_txt_, seen_target_, prev_stamps_;  // scratch
  std::vector<uint8_t> reused_;  // scratch: per record of the previous entry, kept in this one
  std::vector<std::string> fresh_addrs_, gone_addrs_;
};

}  // namespace beacon::dns
