#include "cmd/agent.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <malloc.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "api/server.h"
#include "catalog/embedded_store.h"
#include "catalog/etcd_store.h"
#include "catalog/keyspace.h"
#include "catalog/replica.h"
#include "catalog/writer.h"
#include "cmd/config_services.h"
#include "cmd/local_checks.h"
#include "config/loader.h"
#include "dns/recursor.h"
#include "dns/snapshot.h"
#include "dns/tcp_server.h"
#include "dns/udp_server.h"
#include "dns/zone_builder.h"
#include "health/engine.h"
#include "log/log.h"

namespace beacon::cmd {
namespace {

// Returns the allocator's free pages to the system (glibc keeps them after a peak).
void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

constexpr const char* kKeyPrefix = "beacon/";

bool etcd_mode(const config::Config& c) { return c.store.backend == "etcd"; }
std::string key_prefix(const config::Config& c) { return etcd_mode(c) ? c.store.etcd_prefix : kKeyPrefix; }
#ifndef BEACON_VERSION
#define BEACON_VERSION "0.0.0"
#endif

std::expected<config::Config, std::string> load_config(const AgentFlags& flags) {
  std::expected<config::Config, config::Error> cfg;
  if (flags.config_files.empty()) {
    if (!flags.dev) return std::unexpected("no configuration: give --config FILE, --config-dir DIR or --dev");
    cfg = config::load_string(kEmbeddedExampleConfig, "<built-in example>");
  } else {
    cfg = config::load_files(flags.config_files);
  }
  if (!cfg) return std::unexpected(cfg.error().message);
  if (flags.dev) cfg->dev = true;
  if (!flags.data_dir.empty()) cfg->data_dir = flags.data_dir;
  if (!cfg->dev && cfg->data_dir.empty())
    return std::unexpected("data_dir is required (set it in the config, pass --data-dir, or use --dev)");
  return std::move(*cfg);
}

// Everything the running agent holds, in construction order.
class Agent {
 public:
  Agent(AgentFlags flags, config::Config config)
      : flags_(std::move(flags)), config_(std::move(config)),
        keyspace_(key_prefix(config_), config_.datacenter), replica_(keyspace_), zones_(config_) {}

  int run();

 private:
  std::expected<void, std::string> open_store();
  std::expected<void, std::string> open_etcd();
  std::expected<void, std::string> open_datacenters();
  void anti_entropy();
  struct RemoteDc;
  void on_remote_commit(RemoteDc& dc, uint64_t index, const std::vector<catalog::Event>& events);
  catalog::EtcdStore::Options etcd_options(const std::vector<std::string>& endpoints) const;
  std::expected<void, std::string> open_dns();
  std::expected<void, std::string> open_health();
  std::expected<void, std::string> open_http();
  health::Engine::Options health_options() const;
  dns::Recursor::Options recursor_options() const;
  void on_check_status(const std::string& check_id, catalog::Health status, const std::string& output);
  void on_reap(const std::string& service_id);
  std::expected<void, std::string> sync_services();
  void on_commit(uint64_t index, const std::vector<catalog::Event>& events);
  void flush_changes();
  void publish(const catalog::Change& change);
  void reload();
  void wait_signals();

  AgentFlags flags_;
  config::Config config_;
  boost::asio::io_context io_;
  catalog::Keyspace keyspace_;
  std::unique_ptr<catalog::Store> store_;
  std::unique_ptr<catalog::Writer> writer_;
  catalog::Replica replica_;
  dns::ZoneBuilder zones_;
  dns::SnapshotHolder<dns::Zone> zone_holder_;
  std::unique_ptr<dns::UdpServer> udp_;
  std::unique_ptr<dns::TcpServer> tcp_;
  std::unique_ptr<dns::Recursor> recursor_;  // after the listeners: destroyed before them
  std::unique_ptr<health::Engine> engine_;
  std::unique_ptr<LocalChecks> local_checks_;
  std::unique_ptr<api::Server> http_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  // Another datacenter, followed read-only from its own etcd (or prefix): its replica and zone.
  struct RemoteDc {
    RemoteDc(const config::Config& c, const config::DatacenterConfig& dc)
        : name(dc.name), keyspace(dc.etcd_prefix, dc.name), replica(keyspace), zones(with_dc(c, dc.name)) {}
    static config::Config with_dc(config::Config c, const std::string& dc) {
      c.datacenter = dc;
      return c;
    }
    std::string name;
    catalog::Keyspace keyspace;
    catalog::Replica replica;
    dns::ZoneBuilder zones;
    std::shared_ptr<const dns::Zone> zone;
    std::unique_ptr<catalog::EtcdStore> store;
  };
  std::vector<std::unique_ptr<RemoteDc>> remote_;
  catalog::Change pending_;  // what commits changed since the last flush
  uint64_t pending_index_ = 0;
  bool flush_scheduled_ = false;
};

catalog::EtcdStore::Options Agent::etcd_options(const std::vector<std::string>& endpoints) const {
  const config::StoreConfig& sc = config_.store;
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

// Other datacenters: a read-only replica each, fed by its etcd, whose zone answers
// "<name>.service.<dc>.<domain>" here. Not waited for: they fill in when their etcd answers.
std::expected<void, std::string> Agent::open_datacenters() {
  for (const config::DatacenterConfig& dc : config_.datacenters) {
    auto r = std::make_unique<RemoteDc>(config_, dc);
    catalog::EtcdStore::Options o = etcd_options(dc.etcd_endpoints);
    o.watch_prefix = r->keyspace.dc_prefix();
    o.read_only = true;
    o.name = "etcd of " + dc.name;
    r->replica.set_liveness(true);
    r->store = std::make_unique<catalog::EtcdStore>(
        std::move(o), [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); });
    RemoteDc* raw = r.get();
    r->store->watch([this, raw](uint64_t index, const std::vector<catalog::Event>& events) {
      on_remote_commit(*raw, index, events);
    });
    log::info("catalog", "following datacenter ", dc.name, " at ", dc.etcd_endpoints.size(), " endpoints, prefix ",
              r->keyspace.dc_prefix());
    remote_.push_back(std::move(r));
  }
  return {};
}

void Agent::on_remote_commit(RemoteDc& dc, uint64_t index, const std::vector<catalog::Event>& events) {
  catalog::Change change = dc.replica.apply(index, events);
  if (change.empty()) return;
  dc.zone = dc.zones.build(dc.replica, change);
  auto zones = std::make_shared<dns::RemoteZones>();
  for (const auto& r : remote_) {
    if (r->zone) zones->emplace_back(r->name, r->zone);
  }
  zones_.set_remote(std::move(zones));
  publish(catalog::Change{});
  if (http_) http_->notify_datacenter(dc.name, index, change);
}

// etcd mode: the catalog is shared; this agent's writes go to etcd and every agent's replica
// follows the cluster's watch feed (catalog/etcd_store.h).
std::expected<void, std::string> Agent::open_etcd() {
  const config::StoreConfig& sc = config_.store;
  catalog::EtcdStore::Options o = etcd_options(sc.etcd_endpoints);
  o.watch_prefix = keyspace_.dc_prefix();
  o.liveness_key = keyspace_.alive_key(config_.node_name);
  o.liveness_value = catalog::encode_node(agent_node(config_));  // for people reading etcdctl
  auto store = std::make_unique<catalog::EtcdStore>(
      std::move(o), [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); });
  catalog::EtcdStore* etcd = store.get();
  store_ = std::move(store);
  writer_ = std::make_unique<catalog::Writer>(*store_, keyspace_);
  replica_.set_liveness(true);
  store_->watch([this](uint64_t index, const std::vector<catalog::Event>& events) { on_commit(index, events); });
  etcd->on_resync([this] { anti_entropy(); });
  catalog::Change all;
  all.all = true;
  publish(all);  // an (empty) zone exists from the start, whether etcd answers or not
  log::info("catalog", "etcd store at ", sc.etcd_endpoints.size(), " endpoints, prefix ", keyspace_.dc_prefix());
  if (!etcd->wait_synced(sc.request_timeout)) {
    log::warn("catalog", "etcd is not reachable yet: starting with an empty catalog; it fills in when etcd answers");
  }
  flush_changes();
  log::info("catalog", "index ", store_->index(), ", ", replica_.services().size(), " service instances");
  return {};
}

// After etcd came back (or granted a new lease): write again what this agent owns, because
// the catalog may have lost it (a restore, an expired lease, writes that failed while etcd
// was away). Config services and the agent's node, then each local check whose live status
// differs from the stored one.
void Agent::anti_entropy() {
  if (auto r = sync_services(); !r) {
    log::warn("catalog", r.error(), " (retried when etcd is back)");
    return;
  }
  if (!engine_) return;
  for (const std::string& id : engine_->check_ids()) {
    auto state = engine_->state(id);
    const catalog::Check* stored = replica_.check(config_.node_name, id);
    if (!state || !stored || stored->status == state->status) continue;
    on_check_status(id, state->status, state->output);
  }
}

std::expected<void, std::string> Agent::open_store() {
  if (etcd_mode(config_)) return open_etcd();
  std::string path = ":memory:";
  if (!config_.dev) {
    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec) return std::unexpected("cannot create data_dir " + config_.data_dir + ": " + ec.message());
    path = (std::filesystem::path(config_.data_dir) / "catalog.db").string();
  }
  auto store = catalog::EmbeddedStore::open(path);
  if (!store) return std::unexpected("cannot open the catalog store " + path + ": " + store.error().message);
  // Group commits fsync on the store's thread while this one builds the zone (still durable
  // before each reply).
  (*store)->enable_deferred_sync([this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); });
  store_ = std::move(*store);
  writer_ = std::make_unique<catalog::Writer>(*store_, keyspace_);
  auto range = store_->range(keyspace_.dc_prefix());
  if (!range) return std::unexpected("cannot read the catalog: " + range.error().message);
  publish(replica_.reset(*range));
  if (replica_.decode_errors())
    log::warn("catalog", replica_.decode_errors(), " stored entries could not be decoded and were skipped");
  store_->watch([this](uint64_t index, const std::vector<catalog::Event>& events) { on_commit(index, events); });
  log::info("catalog", config_.dev ? "in-memory store (dev mode)" : "embedded store " + path, ", index ",
            store_->index(), ", ", replica_.services().size(), " service instances");
  return {};
}

// The replica follows every commit at once; the zone, the blocking queries and the local
// checks follow once per turn of the event loop, so that a group commit of many writes costs
// one zone build, not one per write. The flush is posted before the writers' replies resume,
// so a client that got its reply is answered from the new zone.
void Agent::on_commit(uint64_t index, const std::vector<catalog::Event>& events) {
  catalog::Change change = replica_.apply(index, events);
  if (change.empty()) return;
  pending_.merge(std::move(change));
  pending_index_ = index;
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    boost::asio::post(io_, [this] { flush_changes(); });
  }
}

void Agent::flush_changes() {
  flush_scheduled_ = false;
  if (pending_.empty()) return;
  catalog::Change change = std::move(pending_);
  pending_ = catalog::Change{};
  publish(change);
  if (http_) http_->notify(pending_index_, change);
  if (local_checks_) local_checks_->sync(config_.node_name);
}

health::Engine::Options Agent::health_options() const {
  health::Engine::Options o;
  o.enable_script_checks = config_.enable_local_script_checks;
  if (!config_.dev) o.ttl_state_file = (std::filesystem::path(config_.data_dir) / "ttl-checks.json").string();
  return o;
}

// The engine saw a status change: write it to the catalog (the one place it is kept).
void Agent::on_check_status(const std::string& check_id, catalog::Health status, const std::string& output) {
  const catalog::Check* current = replica_.check(config_.node_name, check_id);
  if (!current) return;  // deregistered meanwhile
  catalog::Check updated = *current;
  updated.status = status;
  updated.output = output;
  // Through the store's asynchronous group commit: with etcd a network write on the store's
  // writer thread (as Consul's agents sync check results to the servers in the background),
  // with the embedded store committed at once, so DNS answers follow before the disk sync,
  // which runs on the store's own thread. Either way checks, DNS over TCP and the API go on
  // meanwhile. A write that fails is logged; in etcd mode anti_entropy() makes it again when
  // etcd is back.
  std::vector<catalog::Op> ops{
      {catalog::Op::Kind::put, keyspace_.check_key(updated.node, updated.id), catalog::encode_check(updated)}};
  store_->commit_group_async({std::move(ops)}, [check_id](auto results) {
    if (!results.front())
      log::error("health", "cannot record the status of check ", check_id, ": ", results.front().error().message);
  });
}

void Agent::on_reap(const std::string& service_id) {
  log::warn("health", "service ", service_id, " stayed critical past deregister_critical_service_after: removing it");
  if (auto r = writer_->deregister_service(config_.node_name, service_id); !r)
    log::error("health", "cannot deregister ", service_id, ": ", r.error().message);
}

std::expected<void, std::string> Agent::open_health() {
  engine_ = std::make_unique<health::Engine>(
      io_, health_options(),
      [this](const std::string& id, catalog::Health st, const std::string& out) { on_check_status(id, st, out); },
      [this](const std::string& service_id) { on_reap(service_id); });
  local_checks_ = std::make_unique<LocalChecks>(*engine_, replica_);
  local_checks_->sync(config_.node_name);
  log::info("health", engine_->size(), " checks running");
  return {};
}

std::expected<void, std::string> Agent::open_http() {
  if (config_.ports.http < 0) {
    log::info("http", "disabled (ports.http = -1)");
    return {};
  }
  api::Context ctx{[this]() -> const config::Config& { return config_; }, replica_, *writer_, *engine_,
                   BEACON_VERSION};
  auto http = api::Server::bind(io_, config_.client_addr, static_cast<uint16_t>(config_.ports.http), std::move(ctx));
  if (!http) return std::unexpected(http.error());
  http_ = std::move(*http);
  for (auto& r : remote_) http_->follow_datacenter(r->name, r->replica);
  http_->start();
  std::string host = config_.client_addr.find(':') != std::string::npos ? "[" + config_.client_addr + "]"
                                                                        : config_.client_addr;
  log::info("http", "listening on ", host, ":", http_->port());
  return {};
}

void Agent::publish(const catalog::Change& change) {
  zone_holder_.publish(zones_.build(replica_, change));
  for (const auto& [service, on] : zones_.protect_transitions())
    log::warn("dns", "service ", service, on ? " is below its protect_threshold: answering with all instances"
                                              : " is back above its protect_threshold");
}

std::expected<void, std::string> Agent::sync_services() {
  ConfigServices cs = config_services(config_, replica_);
  auto r = writer_->sync_config_services(agent_node(config_), cs.services, cs.checks);
  if (!r) {
    // With etcd, the store may be away at start; anti_entropy() registers them when it is back.
    if (etcd_mode(config_) && r.error().code == catalog::Error::Code::unavailable) {
      log::warn("catalog", "cannot register the config services yet: ", r.error().message);
      return {};
    }
    return std::unexpected("cannot register the config services: " + r.error().message);
  }
  if (etcd_mode(config_)) {
    // Consul's serfHealth: the replica reads it critical while this node's alive key is gone.
    catalog::Check alive;
    alive.node = config_.node_name;
    alive.id = std::string(catalog::kAgentCheckId);
    alive.name = "Agent Alive";
    alive.status = catalog::Health::passing;
    alive.output = "Agent alive and reachable";
    const catalog::Check* stored = replica_.check(alive.node, alive.id);
    if (!stored || stored->name != alive.name) {
      if (auto w = writer_->register_check(alive); !w)
        log::warn("catalog", "cannot register the agent's serfHealth check: ", w.error().message);
    }
  }
  flush_changes();  // answer the config's services before anything else runs
  log::info("catalog", cs.services.size(), " services from config registered on node ", config_.node_name);
  return {};
}

dns::Recursor::Options Agent::recursor_options() const {
  dns::Recursor::Options o;
  o.servers = config_.recursors;
  o.timeout = config_.dns_config.recursor_timeout;
  o.random = config_.dns_config.recursor_strategy == "random";
  o.max_inflight = config_.dns_config.recursor_max_inflight;
  return o;
}

std::expected<void, std::string> Agent::open_dns() {
  if (config_.ports.dns < 0) {
    log::info("dns", "disabled (ports.dns = -1)");
    return {};
  }
  auto recursor = dns::Recursor::create(io_, recursor_options());
  if (!recursor) return std::unexpected(recursor.error());
  recursor_ = std::move(*recursor);
  if (!config_.recursors.empty())
    log::info("dns", "forwarding other names to ", config_.recursors.size(), " recursors (",
              config_.dns_config.recursor_strategy, ")");
  unsigned workers = config_.dns_config.udp_workers ? config_.dns_config.udp_workers
                                                    : std::max(1u, std::thread::hardware_concurrency());
  // With port 0, UDP picks a free port and TCP takes the same one; retry if TCP's is taken.
  for (int attempt = 0;; ++attempt) {
    auto udp = dns::UdpServer::bind(config_.client_addr, static_cast<uint16_t>(config_.ports.dns), workers,
                                    zone_holder_);
    if (!udp) return std::unexpected(udp.error());
    auto tcp = dns::TcpServer::bind(io_, config_.client_addr, (*udp)->port(), zone_holder_);
    if (!tcp) {
      if (config_.ports.dns == 0 && attempt < 20) continue;
      return std::unexpected(tcp.error());
    }
    udp_ = std::move(*udp);
    tcp_ = std::move(*tcp);
    break;
  }
  tcp_->set_options({config_.dns_config.tcp_idle_timeout, config_.dns_config.tcp_max_connections});
  udp_->set_recursor(recursor_.get());
  tcp_->set_recursor(recursor_.get());
  udp_->start();
  tcp_->start();
  std::string host = config_.client_addr.find(':') != std::string::npos ? "[" + config_.client_addr + "]"
                                                                        : config_.client_addr;
  log::info("dns", "listening on ", host, ":", udp_->port(), " (udp, tcp), ", workers, " udp workers, domain ",
            config_.domain, ".");
  std::string example = config_.services.empty() ? "consul" : config_.services.front().name;
  log::info("dns", "try: dig @", config_.client_addr, " -p ", udp_->port(), " ", example, ".service.",
            config_.domain, " SRV");
  return {};
}

void Agent::reload() {
  if (config_.dev && flags_.config_files.empty()) {
    log::info("agent", "SIGHUP: nothing to reload (dev mode without config files)");
    return;
  }
  auto fresh = load_config(flags_);
  if (!fresh) {
    log::error("agent", "reload failed, keeping the running configuration: ", fresh.error());
    return;
  }
  config::Config next = std::move(*fresh);
  if (next.client_addr != config_.client_addr || next.ports.dns != config_.ports.dns ||
      next.data_dir != config_.data_dir || next.datacenter != config_.datacenter ||
      next.node_name != config_.node_name)
    log::warn("agent", "client_addr, ports, data_dir, datacenter and node_name changes need a restart; ignored");
  next.client_addr = config_.client_addr;
  next.ports = config_.ports;
  next.data_dir = config_.data_dir;
  next.datacenter = config_.datacenter;
  next.node_name = config_.node_name;
  next.dev = config_.dev;
  if (next.store != config_.store || next.datacenters != config_.datacenters)
    log::warn("agent", "[store] and [[datacenters]] changes need a restart; ignored");
  next.store = config_.store;
  next.datacenters = config_.datacenters;
  log::Level level;
  if (log::parse_level(next.log_level, level)) log::set_level(level);
  config_ = std::move(next);
  zones_.configure(config_);
  for (auto& r : remote_) {
    r->zones.configure(RemoteDc::with_dc(config_, r->name));
    catalog::Change all_remote;
    all_remote.all = true;
    r->zone = r->zones.build(r->replica, all_remote);
  }
  if (!remote_.empty()) {
    auto zones = std::make_shared<dns::RemoteZones>();
    for (const auto& r : remote_) zones->emplace_back(r->name, r->zone);
    zones_.set_remote(std::move(zones));
  }
  if (engine_) engine_->set_options(health_options());
  if (recursor_) {
    if (auto r = recursor_->reconfigure(recursor_options()); !r) log::error("dns", "recursors: ", r.error());
  }
  if (tcp_) tcp_->set_options({config_.dns_config.tcp_idle_timeout, config_.dns_config.tcp_max_connections});
  catalog::Change all;
  all.all = true;
  publish(all);
  if (auto r = sync_services(); !r) log::error("agent", r.error());
  release_free_memory();  // the new config was decoded and the zone rebuilt whole
  log::info("agent", "configuration reloaded");
}

void Agent::wait_signals() {
  signals_->async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
      wait_signals();
      return;
    }
    log::info("agent", signo == SIGINT ? "SIGINT" : "SIGTERM", ": shutting down");
    if (http_) http_->stop();
    if (tcp_) tcp_->stop();
    if (udp_) udp_->stop();
    recursor_.reset();  // no replies after this point
    io_.stop();
  });
}

int Agent::run() {
  log::Level level;
  if (log::parse_level(config_.log_level, level)) log::set_level(level);
  signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM, SIGHUP);
  for (auto step : {&Agent::open_store, &Agent::open_datacenters, &Agent::sync_services, &Agent::open_health,
                    &Agent::open_dns, &Agent::open_http}) {
    if (auto r = (this->*step)(); !r) {
      log::error("agent", r.error());
      return 1;
    }
  }
  wait_signals();
  // Start-up (config decode, the store's range, the config sync's encoded ops) peaks well
  // above what the agent then keeps; hand the freed pages back to the system.
  release_free_memory();
  log::info("agent", "node ", config_.node_name, " in datacenter ", config_.datacenter, " is running");
  io_.run();
  if (udp_) udp_->stop();
  log::info("agent", "stopped");
  return 0;
}

}  // namespace

int run_agent(const AgentFlags& flags) {
  auto cfg = load_config(flags);
  if (!cfg) {
    std::cerr << "beacon: " << cfg.error() << "\n";
    return 1;
  }
  Agent agent(flags, std::move(*cfg));
  return agent.run();
}

int run_validate(const std::vector<std::string>& files) {
  if (files.empty()) {
    std::cerr << "beacon validate: give at least one config file\n";
    return 1;
  }
  auto cfg = config::load_files(files);
  if (!cfg) {
    std::cerr << cfg.error().message << "\n";
    return 1;
  }
  std::cout << "configuration is valid (" << files.size() << " file" << (files.size() == 1 ? "" : "s") << ", "
            << cfg->services.size() << " services)\n";
  return 0;
}

}  // namespace beacon::cmd
