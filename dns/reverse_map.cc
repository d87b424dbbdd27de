#include "dns/reverse_map.h"

#include <algorithm>
#include <memory>

#include "base/address.h"
#include "dns/name.h"

namespace beacon::dns {

void ReverseMap::clear() {
  owners_.clear();
  node_address_.clear();
  touched_.clear();
}

void ReverseMap::set_node(const std::string& name, const catalog::Node* node) {
  auto old = node_address_.find(name);
  if (old != node_address_.end()) {
    claim(old->second, true, name, -1);
    node_address_.erase(old);
  }
  if (node) {
    if (auto ip = base::parse_ip(node->address)) {
      node_address_[name] = *ip;
      claim(*ip, true, name, +1);
    }
  }
}

void ReverseMap::claim(const std::string& addr, bool node, const std::string& name, int delta) {
  touched_.insert(addr);
  AddressOwners& o = owners_[addr];
  ClaimCounts& counts = node ? o.nodes : o.services;
  auto it = std::lower_bound(counts.begin(), counts.end(), name,
                             [](const auto& count, const std::string& n) { return count.first < n; });
  if (it == counts.end() || it->first != name) it = counts.insert(it, {name, 0});
  if ((it->second += delta) <= 0) counts.erase(it);
  if (o.nodes.empty() && o.services.empty()) owners_.erase(addr);
}

void ReverseMap::refresh(Zone& zone, const std::string& dc_label) {
  for (const std::string& addr : touched_) {
    auto it = owners_.find(addr);
    if (it == owners_.end()) {
      zone.ptr.set(addr, nullptr);
      continue;
    }
    const AddressOwners& o = it->second;
    std::string target = !o.nodes.empty() ? name_labels(o.nodes.begin()->first) + "\4node" + dc_label
                                          : name_labels(o.services.begin()->first) + "\7service" + dc_label;
    const PtrEntry* before = zone.ptr.find(addr);
    if (!before || before->target != target) zone.ptr.set(addr, std::make_shared<const PtrEntry>(PtrEntry{target}));
  }
  touched_.clear();
}

}  // namespace beacon::dns
