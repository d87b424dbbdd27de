// Stores from the configuration (cmd/stores.h).
#include "cmd/stores.h"

#include <filesystem>

#include "cmd/config_services.h"

namespace beacon::cmd {
namespace {

catalog::EtcdStore::Options etcd_options(const config::StoreConfig& sc, const std::vector<std::string>& endpoints) {
  catalog::EtcdStore::Options o;
  o.endpoints = endpoints;
  o.ca_file = sc.ca_file;
  o.cert_file = sc.cert_file;
  o.key_file = sc.key_file;
  o.username = sc.username;
  o.password = sc.password;
  o.request_timeout = sc.request_timeout;
  o.lease_ttl = sc.lease_ttl;
  return o;
}

}  // namespace

bool etcd_mode(const config::Config& config) { return config.store.backend == "etcd"; }

catalog::Keyspace local_keyspace(const config::Config& config) {
  return catalog::Keyspace(etcd_mode(config) ? config.store.etcd_prefix : "beacon/", config.datacenter);
}

std::expected<std::unique_ptr<catalog::EmbeddedStore>, std::string> open_embedded(const config::Config& config,
                                                                                   catalog::ChangeFeed::Post post,
                                                                                   std::string& path) {
  path = ":memory:";
  if (!config.dev) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) return std::unexpected("cannot create data_dir " + config.data_dir + ": " + ec.message());
    path = (std::filesystem::path(config.data_dir) / "catalog.db").string();
  }
  auto store = catalog::EmbeddedStore::open(path);
  if (!store) return std::unexpected("cannot open the catalog store " + path + ": " + store.error().message);
  // Group commits fsync on the store's thread while the control thread builds the zone
  // (still durable before each reply).
  (*store)->enable_deferred_sync(std::move(post));
  return std::move(*store);
}

std::unique_ptr<catalog::EtcdStore> open_local_etcd(const config::Config& config, const catalog::Keyspace& keyspace,
                                                    catalog::ChangeFeed::Post post) {
  catalog::EtcdStore::Options o = etcd_options(config.store, config.store.etcd_endpoints);
  o.watch_prefix = keyspace.dc_prefix();
  o.liveness_key = keyspace.alive_key(config.node_name);
  o.liveness_value = catalog::encode_node(agent_node(config));  // for people reading etcdctl
  return std::make_unique<catalog::EtcdStore>(std::move(o), std::move(post));
}

std::unique_ptr<catalog::EtcdStore> open_remote_etcd(const config::Config& config,
                                                     const config::DatacenterConfig& dc,
                                                     const catalog::Keyspace& keyspace,
                                                     catalog::ChangeFeed::Post post) {
  catalog::EtcdStore::Options o = etcd_options(config.store, dc.etcd_endpoints);
  o.watch_prefix = keyspace.dc_prefix();
  o.read_only = true;
  o.name = "etcd of " + dc.name;
  return std::make_unique<catalog::EtcdStore>(std::move(o), std::move(post));
}

}  // namespace beacon::cmd
