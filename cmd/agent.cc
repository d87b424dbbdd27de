#include "cmd/agent.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <memory>

#include "api/server.h"
#include "catalog/change_feed.h"
#include "catalog/writer.h"
#include "cmd/config_services.h"
#include "cmd/options.h"
#include "cmd/process.h"
#include "cmd/stores.h"
#include "config/loader.h"
#include "dns/recursor.h"
#include "dns/listeners.h"
#include "dns/zone_publisher.h"
#include "health/engine.h"
#include "health/local_checks.h"
#include "log/log.h"

namespace beacon::cmd {
namespace {

#ifndef BEACON_VERSION
#define BEACON_VERSION "0.0.0"
#endif

// Everything the running agent holds, in construction order. The path of a committed write
// (store -> ChangeFeed -> zone, blocking queries, local checks) is catalog::ChangeFeed's;
// this class only connects the pieces.
class Agent {
 public:
  Agent(AgentFlags flags, config::Config config)
      : flags_(std::move(flags)), config_(std::move(config)), feed_(local_keyspace(config_), post()),
        zones_(dns::zone_options(config_), zone_holder_) {}

  int run();

 private:
  catalog::ChangeFeed::Post post() {
    return [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); };
  }
  std::expected<void, std::string> open_store();
  std::expected<void, std::string> open_datacenters();
  std::expected<void, std::string> sync_services();
  std::expected<void, std::string> open_health();
  std::expected<void, std::string> open_dns();
  std::expected<void, std::string> open_http();
  void anti_entropy();
  void reload();
  void wait_signals();

  AgentFlags flags_;
  config::Config config_;
  boost::asio::io_context io_;
  std::unique_ptr<catalog::Store> store_;
  std::unique_ptr<catalog::Writer> writer_;
  catalog::ChangeFeed feed_;
  dns::SnapshotHolder<dns::Zone> zone_holder_;
  dns::ZonePublisher zones_;
  std::unique_ptr<dns::UdpServer> udp_;
  std::unique_ptr<dns::TcpServer> tcp_;
  std::unique_ptr<dns::Recursor> recursor_;  // after the listeners: destroyed before them
  std::unique_ptr<health::Engine> engine_;
  std::unique_ptr<health::LocalChecks> local_checks_;
  std::unique_ptr<api::Server> http_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  // Other datacenters, followed read-only from their own etcd (or prefix).
  struct Remote {
    std::unique_ptr<catalog::ChangeFeed> feed;
    std::unique_ptr<catalog::EtcdStore> store;
  };
  std::vector<Remote> remote_;
};

std::expected<void, std::string> Agent::open_store() {
  zones_.follow_local(feed_);
  if (etcd_mode(config_)) {
    // The catalog is shared: this agent's writes go to etcd and every agent's replica follows
    // the cluster's watch feed (catalog/etcd/etcd_store.h).
    auto etcd = open_local_etcd(config_, feed_.replica().keyspace(), post());
    etcd->on_resync([this] { anti_entropy(); });
    catalog::EtcdStore& raw = *etcd;
    store_ = std::move(etcd);
    writer_ = std::make_unique<catalog::Writer>(*store_, feed_.replica().keyspace());
    feed_.replica().set_liveness(true);
    feed_.follow(*store_);  // an (empty) zone exists from the start, whether etcd answers or not
    log::info("catalog", "etcd store at ", config_.store.etcd_endpoints.size(), " endpoints, prefix ",
              feed_.replica().keyspace().dc_prefix());
    if (!raw.wait_synced(config_.store.request_timeout))
      log::warn("catalog", "etcd is not reachable yet: starting with an empty catalog; it fills in when etcd answers");
    feed_.flush();
  } else {
    std::string path;
    auto store = open_embedded(config_, post(), path);
    if (!store) return std::unexpected(store.error());
    store_ = std::move(*store);
    writer_ = std::make_unique<catalog::Writer>(*store_, feed_.replica().keyspace());
    if (auto loaded = feed_.load(*store_); !loaded)
      return std::unexpected("cannot read the catalog: " + loaded.error().message);
    if (feed_.replica().decode_errors())
      log::warn("catalog", feed_.replica().decode_errors(), " stored entries could not be decoded and were skipped");
    log::info("catalog", config_.dev ? std::string("in-memory store (dev mode)") : "embedded store " + path);
  }
  log::info("catalog", "index ", store_->index(), ", ", feed_.replica().services().size(), " service instances");
  return {};
}

// Other datacenters: a read-only replica each, fed by its etcd, whose zone answers
// "<name>.service.<dc>.<domain>" here. Not waited for: they fill in when their etcd answers.
std::expected<void, std::string> Agent::open_datacenters() {
  for (const config::DatacenterConfig& dc : config_.datacenters) {
    Remote r;
    r.feed = std::make_unique<catalog::ChangeFeed>(catalog::Keyspace(dc.etcd_prefix, dc.name), post());
    r.feed->replica().set_liveness(true);
    r.store = open_remote_etcd(config_, dc, r.feed->replica().keyspace(), post());
    zones_.follow_remote(dc.name, *r.feed);
    r.feed->follow(*r.store);
    log::info("catalog", "following datacenter ", dc.name, " at ", dc.etcd_endpoints.size(), " endpoints, prefix ",
              r.feed->replica().keyspace().dc_prefix());
    remote_.push_back(std::move(r));
  }
  return {};
}

// After etcd came back (or granted a new lease): write again what this agent owns, because
// the catalog may have lost it (a restore, an expired lease, writes that failed while etcd
// was away): config services and the agent's node, then each local check's live status.
void Agent::anti_entropy() {
  if (auto r = sync_services(); !r) {
    log::warn("catalog", r.error(), " (retried when etcd is back)");
    return;
  }
  if (local_checks_) local_checks_->rewrite_statuses();
}

std::expected<void, std::string> Agent::sync_services() {
  ConfigServices cs = config_services(config_, feed_.replica());
  auto r = writer_->sync_config_services(agent_node(config_), cs.services, cs.checks);
  if (!r) {
    // With etcd, the store may be away at start; anti_entropy() registers them when it is back.
    if (etcd_mode(config_) && r.error().code == catalog::Error::Code::unavailable) {
      log::warn("catalog", "cannot register the config services yet: ", r.error().message);
      return {};
    }
    return std::unexpected("cannot register the config services: " + r.error().message);
  }
  // Consul's serfHealth: the replica reads it critical while this node's alive key is gone.
  if (etcd_mode(config_)) ensure_alive_check(config_, feed_.replica(), *writer_);
  feed_.flush();  // answer the config's services before anything else runs
  log::info("catalog", cs.services.size(), " services from config registered on node ", config_.node_name);
  return {};
}

std::expected<void, std::string> Agent::open_health() {
  engine_ = std::make_unique<health::Engine>(
      io_, health_options(config_),
      [this](const std::string& id, catalog::Health st, const std::string& out) {
        local_checks_->record_status(id, st, out);
      },
      [this](const std::string& service_id) { local_checks_->reap(service_id); });
  local_checks_ = std::make_unique<health::LocalChecks>(*engine_, feed_.replica(), *writer_, config_.node_name);
  feed_.subscribe([this](uint64_t, const catalog::Change&) { local_checks_->sync(); });
  local_checks_->sync();
  log::info("health", engine_->size(), " checks running");
  return {};
}

std::expected<void, std::string> Agent::open_http() {
  if (config_.ports.http < 0) {
    log::info("http", "disabled (ports.http = -1)");
    return {};
  }
  api::Context ctx{[this]() -> const config::Config& { return config_; }, feed_, *writer_, *engine_, BEACON_VERSION};
  auto http = api::Server::bind(io_, config_.client_addr, static_cast<uint16_t>(config_.ports.http), std::move(ctx));
  if (!http) return std::unexpected(http.error());
  http_ = std::move(*http);
  for (std::size_t i = 0; i < remote_.size(); ++i) http_->follow_datacenter(config_.datacenters[i].name, *remote_[i].feed);
  http_->start();
  log::info("http", "listening on ", host_of(config_.client_addr), ":", http_->port());
  return {};
}

std::expected<void, std::string> Agent::open_dns() {
  if (config_.ports.dns < 0) {
    log::info("dns", "disabled (ports.dns = -1)");
    return {};
  }
  auto recursor = dns::Recursor::create(io_, recursor_options(config_));
  if (!recursor) return std::unexpected(recursor.error());
  recursor_ = std::move(*recursor);
  if (!config_.recursors.empty())
    log::info("dns", "forwarding other names to ", config_.recursors.size(), " recursors (",
              config_.dns_config.recursor_strategy, ")");
  unsigned workers = udp_workers(config_);
  auto listeners = dns::bind_listeners(io_, config_.client_addr, static_cast<uint16_t>(config_.ports.dns), workers,
                                       zone_holder_);
  if (!listeners) return std::unexpected(listeners.error());
  udp_ = std::move(listeners->udp);
  tcp_ = std::move(listeners->tcp);
  tcp_->set_options(tcp_options(config_));
  udp_->set_recursor(recursor_.get());
  tcp_->set_recursor(recursor_.get());
  udp_->start();
  tcp_->start();
  log::info("dns", "listening on ", host_of(config_.client_addr), ":", udp_->port(), " (udp, tcp), ", workers,
            " udp workers, domain ", config_.domain, ".");
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
  if (auto ignored = keep_restart_only_settings(config_, next); !ignored.empty()) log::warn("agent", ignored);
  log::Level level;
  if (log::parse_level(next.log_level, level)) log::set_level(level);
  config_ = std::move(next);
  zones_.configure(dns::zone_options(config_));
  if (engine_) engine_->set_options(health_options(config_));
  if (recursor_) {
    if (auto r = recursor_->reconfigure(recursor_options(config_)); !r) log::error("dns", "recursors: ", r.error());
  }
  if (tcp_) tcp_->set_options(tcp_options(config_));
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
  raise_open_file_limit();
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

}  // namespace beacon::cmd
