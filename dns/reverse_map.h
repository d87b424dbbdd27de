// beacon::dns::ReverseMap: who owns each address, kept for the zone's PTR records.
//
// The reverse-map upkeep of ZoneBuilder. A node claims its address; each service record with
// an address of its own claims it under the service's DNS name. A PTR record names the owner:
// nodes before services, and the smallest name among them. A build reports only the claims
// that changed, and refresh() rewrites only the PTR entries of the addresses they touched, so
// one new instance costs one claim, not one per instance of its service. Not thread-safe: it
// belongs to the builder, on the control thread.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalog/model.h"
#include "dns/zone.h"

namespace beacon::dns {

class ReverseMap {
 public:
  // Forgets every claim (before a full build).
  void clear();

  // Moves the claim of node `name` to the address of `node`: none when `node` is null (the
  // node left) or its address is not an IP literal.
  void set_node(const std::string& name, const catalog::Node* node);

  // Adds (+1) or drops (-1) one claim of service `key` (a DNS name) on the address bytes `addr`.
  void claim_service(const std::string& addr, const std::string& key, int delta) {
    claim(addr, false, key, delta);
  }

  // Sets in zone.ptr the entry of every address touched since the last refresh: the labels
  // of "<node>.node" or "<service>.service", then `dc_label`; none when nobody claims it.
  void refresh(Zone& zone, const std::string& dc_label);

 private:
  // Name -> how many times it claims the address, sorted by name. Nearly every address has
  // one owner, so a sorted vector (one allocation) rather than a map (a node per owner): at
  // 100k addresses the difference is ~10 MB.
  using ClaimCounts = std::vector<std::pair<std::string, int>>;
  struct AddressOwners {
    ClaimCounts nodes;     // node name -> how many times it claims the address
    ClaimCounts services;  // service name -> instances with that own address
  };
  // Counts the claim and marks the address touched.
  void claim(const std::string& addr, bool node, const std::string& name, int delta);

  std::unordered_map<std::string, AddressOwners> owners_;     // address bytes -> owners
  std::unordered_map<std::string, std::string> node_address_;  // node name -> address bytes
  std::set<std::string> touched_;  // addresses whose entry may have changed since refresh()
};

}  // namespace beacon::dns
