// beacon::cmd stores: the catalog stores the agent's configuration asks for.
//
// Turns [store] and [[datacenters]] into opened stores: the embedded SQLite store under
// data_dir (or in memory for --dev), or an EtcdStore for this datacenter's shared catalog or
// for a followed datacenter's. Wiring only: the stores themselves live in catalog/.
// Control thread only.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "catalog/change_feed.h"
#include "catalog/sqlite/embedded_store.h"
#include "catalog/etcd/etcd_store.h"
#include "catalog/keyspace.h"
#include "config/config.h"

namespace beacon::cmd {

// The key prefix of this datacenter's catalog: [store] etcd_prefix in etcd mode, "beacon/"
// in the embedded store.
bool etcd_mode(const config::Config& config);
catalog::Keyspace local_keyspace(const config::Config& config);

// <data_dir>/catalog.db (":memory:" in dev mode), opened with deferred sync through `post`.
std::expected<std::unique_ptr<catalog::EmbeddedStore>, std::string> open_embedded(const config::Config& config,
                                                                                   catalog::ChangeFeed::Post post,
                                                                                   std::string& path);

// This datacenter's etcd store: watches the datacenter's prefix and keeps this node's alive
// key under a lease.
std::unique_ptr<catalog::EtcdStore> open_local_etcd(const config::Config& config, const catalog::Keyspace& keyspace,
                                                    catalog::ChangeFeed::Post post);

// A followed datacenter's etcd store: read-only, watching that datacenter's prefix.
std::unique_ptr<catalog::EtcdStore> open_remote_etcd(const config::Config& config,
                                                     const config::DatacenterConfig& dc,
                                                     const catalog::Keyspace& keyspace,
                                                     catalog::ChangeFeed::Post post);

}  // namespace beacon::cmd
