// beacon::catalog keyspace: where catalog objects live as keys, and their JSON values.
//
// The layout is shared by every store:
//   <prefix><dc>/nodes/<node>                  Node JSON
//   <prefix><dc>/services/<node>/<service-id>  Service JSON
//   <prefix><dc>/checks/<node>/<check-id>      Check JSON
//   <prefix><dc>/alive/<node>                  the node's agent is alive (etcd: held by its lease)
// with the default prefix "beacon/". Path segments are escaped so that any node name or ID
// is one segment: '%' becomes "%25" and '/' becomes "%2F"; nothing else is escaped, so keys
// stay readable in `etcdctl get --prefix beacon/`. create/modify indexes are not part of the
// JSON: they come from the store's KeyValue. Pure functions; thread-safe.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/model.h"
#include "catalog/store.h"

namespace beacon::catalog {

class Keyspace {
 public:
  // REQUIRES: prefix ends with '/' or is empty; datacenter is not empty.
  Keyspace(std::string prefix, std::string datacenter);

  const std::string& prefix() const { return prefix_; }
  const std::string& datacenter() const { return dc_; }

  std::string dc_prefix() const;  // "<prefix><dc>/"
  std::string node_key(std::string_view node) const;
  std::string service_key(std::string_view node, std::string_view service_id) const;
  std::string services_of_node_prefix(std::string_view node) const;  // ".../services/<node>/"
  std::string check_key(std::string_view node, std::string_view check_id) const;
  std::string checks_of_node_prefix(std::string_view node) const;    // ".../checks/<node>/"
  std::string alive_key(std::string_view node) const;

  struct Parsed {
    enum class Kind { node, service, check, alive };
    Kind kind;
    std::string node;
    std::string id;  // service or check ID; empty for nodes and alive keys
  };
  // Decodes a key of this keyspace's datacenter. nullopt for keys outside it or malformed.
  std::optional<Parsed> parse(std::string_view key) const;

 private:
  std::string prefix_;
  std::string dc_;
};

// JSON codec. encode_* never fails (invalid UTF-8 is replaced with U+FFFD). decode_* returns
// Error{corrupt} for malformed JSON or a value of the wrong shape (a field of the wrong type,
// a missing Node / ID / Service / CheckID / Status, an unknown Status), and fills
// create_index/modify_index from `kv`. Other missing fields take the model's defaults.
std::string encode_node(const Node& node);
std::string encode_service(const Service& service);
std::string encode_check(const Check& check);
std::expected<Node, Error> decode_node(const KeyValue& kv);
std::expected<Service, Error> decode_service(const KeyValue& kv);
std::expected<Check, Error> decode_check(const KeyValue& kv);

}  // namespace beacon::catalog
