// beacon::dns::Zone: the immutable DNS view of the catalog that queries are answered from.
//
// A Zone holds, for every service, the healthy instances with their records already
// encoded (address bytes, SRV target labels, TXT rdata), the address lists per service and
// per tag already de-duplicated, the nodes with their addresses and meta TXT, and the
// reverse map. It is built off the query path by ZoneBuilder and never changes after it is
// published: readers share it through std::shared_ptr<const Zone> and take no lock.
// Unchanged services and nodes are shared between successive zones (see ShardedMap).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beacon::dns {

// Transparent string hashing, so lookups take a string_view without building a string.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct NameEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

// A string-keyed map split into shards that are each shared, immutable, between versions:
// changing one key copies only that key's shard, once per build. A map copied from a
// published one shares all its shards; set() copies a shard the first time it touches it and
// then changes that private copy in place, and seal() (before publishing) makes every shard
// shared again. The shard count doubles as the map grows, so a shard holds about
// kTargetLoad entries whatever the size: a build that touches k keys copies about
// k * kTargetLoad entries, not a fixed fraction of the map. Lookups cost one hash and one
// probe.
template <typename V>
class ShardedMap {
 public:
  static constexpr size_t kTargetLoad = 16;  // entries per shard before the count doubles
  static constexpr size_t kMinShards = 16;
  using Shard = std::unordered_map<std::string, std::shared_ptr<const V>, NameHash, NameEq>;

  ShardedMap() : shards_(kMinShards, empty_shard()), owned_(kMinShards, 0) {}
  // Shares every shard; owns none yet.
  ShardedMap(const ShardedMap& other)
      : shards_(other.shards_), owned_(other.shards_.size(), 0), size_(other.size_) {}
  ShardedMap& operator=(const ShardedMap& other) {
    shards_ = other.shards_;
    owned_.assign(shards_.size(), 0);
    size_ = other.size_;
    return *this;
  }

  const V* find(std::string_view key) const noexcept {
    const Shard& s = *shards_[shard_of(key)];
    auto it = s.find(key);
    return it == s.end() ? nullptr : it->second.get();
  }
  // Sets or (with a null value) erases `key`.
  void set(const std::string& key, std::shared_ptr<const V> value) {
    Shard& shard = own(shard_of(key));
    if (value) {
      auto [it, added] = shard.try_emplace(key, std::move(value));
      if (!added) it->second = std::move(value);  // try_emplace left it alone
      size_ += added;
      if (size_ > shards_.size() * kTargetLoad) grow();
    } else {
      size_ -= shard.erase(key);
    }
  }
  // Empties the map (fresh private shards).
  void clear() {
    shards_.assign(kMinShards, nullptr);
    for (auto& s : shards_) s = std::make_shared<Shard>();
    owned_.assign(kMinShards, 1);
    size_ = 0;
  }
  // Ends a build: from now on every shard may be shared with copies of this map.
  void seal() { owned_.assign(shards_.size(), 0); }
  size_t size() const noexcept { return size_; }
  size_t shard_count() const noexcept { return shards_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& s : shards_)
      for (const auto& [k, v] : *s) f(k, *v);
  }

 private:
  size_t shard_of(std::string_view key) const noexcept { return NameHash{}(key) & (shards_.size() - 1); }
  Shard& own(size_t i) {
    if (!owned_[i]) {
      shards_[i] = std::make_shared<Shard>(*shards_[i]);
      owned_[i] = 1;
    }
    return *shards_[i];
  }
  // Doubles the shard count: every entry moves to a new private shard (the values stay
  // shared). Amortised over the entries added since the last doubling.
  void grow() {
    std::vector<std::shared_ptr<Shard>> old = std::move(shards_);
    shards_.assign(old.size() * 2, nullptr);
    for (auto& s : shards_) s = std::make_shared<Shard>();
    owned_.assign(shards_.size(), 1);
    for (const auto& s : old)
      for (const auto& [k, v] : *s) shards_[shard_of(k)]->emplace(k, v);
  }
  static std::shared_ptr<Shard> empty_shard() {
    static const auto kEmpty = std::make_shared<Shard>();  // never changed: owned_ is false
    return kEmpty;
  }
  std::vector<std::shared_ptr<Shard>> shards_;  // a power of two of them
  std::vector<uint8_t> owned_;                  // per shard: private to this (unpublished) map
  size_t size_ = 0;
};

// What an instance's records need besides its address.
struct InstanceText {
  std::string target;             // SRV target labels without the domain, lower case
  size_t target_hash = 0;         // std::hash of target
  std::string txt;                // TXT rdata with the instance's meta (empty: none)
  std::vector<std::string> tags;  // lower case, sorted, unique
};

// Append-only store of the InstanceTexts of one service, shared by the successive versions
// of its entry: records point into it, so carrying an unchanged record into the next version
// is a plain copy (no string, no reference count). Appending never moves what is there, so
// versions already published keep reading theirs while the builder adds to it. Texts of
// records that left stay until the builder gives the service a fresh arena.
class TextArena {
 public:
  explicit TextArena(size_t expected = 0) : next_chunk_(std::max<size_t>(expected, 4)) {}
  const InstanceText* add(InstanceText text) {
    if (chunks_.empty() || used_ == chunk_size_) {
      chunk_size_ = next_chunk_;
      next_chunk_ = std::min<size_t>(next_chunk_ * 2, 1024);
      chunks_.push_back(std::make_unique<InstanceText[]>(chunk_size_));
      used_ = 0;
    }
    InstanceText* slot = &chunks_.back()[used_++];
    *slot = std::move(text);
    ++size_;
    return slot;
  }
  size_t size() const noexcept { return size_; }

 private:
  std::vector<std::unique_ptr<InstanceText[]>> chunks_;
  size_t chunk_size_ = 0, used_ = 0, size_ = 0, next_chunk_;
};

// One instance with a usable address, encoded for the answer path.
struct InstanceRecord {
  uint8_t family = 4;           // 4 or 6; 0: no IP address (in no view)
  uint8_t addr[16] = {};        // network order; 4 bytes used for IPv4
  uint16_t port = 0;
  uint16_t weight = 1;          // from Weights by health
  bool healthy = false;         // passing (or warning, unless only_passing)
  bool own_address = false;     // addr is the instance's own address, not its node's
  bool has_tags = false;        // text->tags is not empty
  uint32_t target_id = 0;       // equal for instances with the same SRV target (per entry)
  const InstanceText* text = nullptr;  // in the entry's arena
  size_t target_hash = 0;       // text->target_hash, here so that builds scan records only
  const std::string& target() const noexcept { return text->target; }
  const std::string& txt() const noexcept { return text->txt; }
};

// The instances a name selects, as indexes into ServiceEntry::instances, de-duplicated:
// `a`/`aaaa` by address, `srv` by (target, port), `txt` by rdata.
struct View {
  std::vector<uint32_t> a, aaaa, srv, txt;
  bool empty() const noexcept { return a.empty() && aaaa.empty() && srv.empty(); }
};

struct ServiceEntry {
  std::string name;              // lower case
  std::vector<std::string> source_names;  // catalog names that fold to `name` ("Web", "web")
  uint32_t ttl = 0;              // seconds, from service_ttl
  // Every instance with a usable address, healthy or not; views select the healthy ones
  // (all of them when protected).
  std::vector<InstanceRecord> instances;
  std::vector<uint64_t> stamps;  // per instance: the replica's stamp it was built from
  std::shared_ptr<TextArena> arena;  // the records' texts (appended to by later versions)
  View all;
  std::unordered_map<std::string, View, NameHash, NameEq> by_tag;  // lower-case tag
  bool protected_mode = false;   // below protect_threshold: answering with every instance
};

struct NodeEntry {
  std::string name;              // as registered
  uint8_t family = 0;            // 0: no usable address
  uint8_t addr[16] = {};
  std::vector<std::string> txt;  // one TXT rdata per meta key, RFC 1464
};

// What a PTR name answers: a target name's labels without the domain.
struct PtrEntry {
  std::string target;  // "\4node\4node\3dc1" or "\3web\7service\3dc1"
};


// An address block, for recursion_allowed_from.
struct Cidr {
  uint8_t family = 4;  // 4 or 6
  uint8_t bytes[16] = {};
  uint8_t prefix = 0;
  // Whether the `family` address `addr` (4 or 16 network-order bytes) is inside the block.
  bool contains(uint8_t addr_family, const uint8_t* addr) const noexcept {
    if (addr_family != family) return false;
    size_t full = prefix / 8, rest = prefix % 8;
    for (size_t i = 0; i < full; ++i)
      if (addr[i] != bytes[i]) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
    return (addr[full] & mask) == (bytes[full] & mask);
  }
};

// Settings that SIGHUP may change, already converted for the answer path.
struct ZoneSettings {
  std::string domain;      // wire name, lower case, root byte included ("\6consul\0")
  std::string alt_domain;  // same form; empty when unset
  std::string datacenter;  // lower case
  std::string dc_label;    // length-prefixed datacenter label
  std::string ns_target;   // labels of "<node>.node.<dc>" (without the domain)
  uint8_t ns_family = 0;   // glue for ns_target
  uint8_t ns_addr[16] = {};
  uint32_t node_ttl = 0;
  uint32_t soa_refresh = 3600, soa_retry = 600, soa_expire = 86400, soa_min_ttl = 0;
  uint32_t udp_answer_limit = 3;
  uint32_t a_record_limit = 0;
  bool enable_truncate = true;
  uint16_t edns_udp_size = 1232;  // advertised in our OPT record only
  uint16_t max_udp_size = 8192;   // cap on the client's EDNS0 size for UDP replies
  bool recursion_available = false;  // set when recursors are configured
  std::vector<Cidr> recursion_allowed_from;  // clients that may use the recursors

  // Whether a client at `peer` (an AF_INET or AF_INET6 sockaddr; v4-mapped v6 counts as
  // v4) may have its out-of-zone questions forwarded.
  bool allows_recursion(const void* peer) const noexcept;
};

struct Zone;
// The zones of other datacenters (lower-case name, zone), followed read-only.
using RemoteZones = std::vector<std::pair<std::string, std::shared_ptr<const Zone>>>;

struct Zone {
  std::shared_ptr<const ZoneSettings> settings;
  uint32_t serial = 1;
  ShardedMap<ServiceEntry> services;  // key: lower-case service name
  ShardedMap<NodeEntry> nodes;        // key: lower-case node name
  ShardedMap<PtrEntry> ptr;           // key: address bytes (4 or 16)
  std::shared_ptr<const RemoteZones> remote;  // "<name>.service.<dc>" for another dc; may be null

  // The zone of datacenter `dc` (lower case) when it is another one this agent follows.
  const Zone* remote_zone(std::string_view dc) const noexcept {
    if (!remote) return nullptr;
    for (const auto& [name, zone] : *remote)
      if (name == dc) return zone.get();
    return nullptr;
  }
};

}  // namespace beacon::dns
