// beacon::config: the agent's configuration as plain structs.
//
// `config/` is the only module that includes toml++. It turns TOML files into the structs
// below, fills in defaults and validates every value; other modules take these structs as
// plain arguments. Field names follow Consul's agent configuration. Everything here is a
// value type with no thread affinity.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace beacon::config {

using Duration = std::chrono::milliseconds;

// One `[[services.checks]]` entry (or a check registered later through the API).
// The check kind is decided by which target field is set; exactly one must be.
struct CheckConfig {
  enum class Kind { http, tcp, udp, ttl, script, grpc };

  std::string id;         // defaults to "service:<service-id>" (":<n>" when several)
  std::string name;       // defaults to "Service '<name>' check"
  std::string notes;
  Kind kind = Kind::ttl;
  std::string http;       // URL, for kind http
  std::string method = "GET";
  std::map<std::string, std::vector<std::string>> header;
  std::string body;
  bool tls_skip_verify = false;
  std::string tcp;        // host:port, for kind tcp
  std::string udp;        // host:port, for kind udp
  std::string grpc;       // host:port[/service], for kind grpc
  bool grpc_use_tls = false;
  std::string tls_server_name;  // gRPC over TLS: SNI and the name verified; empty: the host
  std::vector<std::string> args;  // argv, for kind script
  Duration ttl{0};                // for kind ttl
  Duration interval{0};           // required for every kind but ttl; at least 1s
  Duration timeout{0};            // 0: the kind's default (10s; script 30s)
  std::string status = "critical";  // initial status: passing | warning | critical
  uint32_t success_before_passing = 0;
  uint32_t failures_before_warning = 0;
  uint32_t failures_before_critical = 0;
  Duration deregister_critical_service_after{0};  // 0: never
};

struct WeightsConfig {
  uint32_t passing = 1;  // 1..65535
  uint32_t warning = 1;  // 0..65535
};

// One `[[services]]` entry.
struct ServiceConfig {
  std::string id;    // defaults to name
  std::string name;  // required
  std::vector<std::string> tags;
  std::string address;  // empty: the node's address
  uint16_t port = 0;
  std::map<std::string, std::string> meta;
  WeightsConfig weights;
  std::optional<double> protect_threshold;  // 0..1; overrides dns_config.protect_threshold
  std::vector<CheckConfig> checks;
};

struct SoaConfig {
  uint32_t refresh = 3600;
  uint32_t retry = 600;
  uint32_t expire = 86400;
  uint32_t min_ttl = 0;
};

// `[dns_config]`: settings that SIGHUP reloads.
struct DnsConfig {
  Duration node_ttl{0};
  // `service_ttl` keys in file order: an exact service name, `prefix*`, or `*`.
  std::vector<std::pair<std::string, Duration>> service_ttl;
  uint32_t udp_answer_limit = 3;   // answers over UDP without EDNS; 0: no cap
  uint32_t a_record_limit = 0;     // A/AAAA answers; 0: no cap
  bool only_passing = false;
  bool enable_truncate = true;     // set TC when records are dropped to fit (Consul: false)
  uint16_t edns_udp_size = 1232;   // the EDNS0 UDP payload size our OPT record advertises (512..65535)
  uint16_t max_udp_size = 8192;    // largest UDP reply to an EDNS client (512..65507); 512 without EDNS
  double protect_threshold = 0.0;  // 0..1; 0 is off
  Duration recursor_timeout{2000};
  std::string recursor_strategy = "sequential";  // or "random"
  std::vector<std::string> recursion_allowed_from = {"127.0.0.0/8", "::1/128"};
  uint32_t recursor_max_inflight = 1000;  // questions waiting upstream; past it, SERVFAIL
  Duration tcp_idle_timeout{10000};
  uint32_t tcp_max_connections = 1024;
  uint32_t tcp_max_connections_per_client = 128;
  uint32_t udp_workers = 0;        // 0: one per core
  SoaConfig soa;
};

// One `[[acl.tokens]]` entry.
struct AclToken {
  std::string secret;       // sent in X-Consul-Token or "Authorization: Bearer"; never logged
  std::string description;
  std::string policy = "read";  // "management" | "read" | "write"
  // For "write": the service names (prefixes) the token may register and change; "" is all.
  std::vector<std::string> service_prefixes;
};

// `[acl]`: who may use the HTTP API. Off by default.
struct AclConfig {
  bool enabled = false;
  std::string default_policy = "allow";  // "allow" | "deny": what a request without a valid token may do
  std::vector<AclToken> tokens;
};

// `[store]`: where the catalog lives. The embedded SQLite store is the default; "etcd" shares
// one catalog between agents through an etcd (3.4+) cluster. Every value is validated whatever
// the backend (see config/README.md); with "embedded" the etcd keys are simply unused.
struct StoreConfig {
  std::string backend = "embedded";           // "embedded" | "etcd"
  // Normalised "http://host:port" or "https://host:port" (lower case, canonical IPv6, no
  // trailing '/'), no repeats; required and non-empty for etcd.
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "beacon/";        // key prefix; ends with '/', never starts with '/'
  // TLS to etcd: readable files, used only with https endpoints (at least one is required
  // when any is set); cert and key go together; no ca_file: the system trust store.
  std::string ca_file, cert_file, key_file;
  std::string username, password;             // etcd authentication; both or neither; password never logged
  Duration lease_ttl{10'000};                 // the agent's liveness lease; 2s..1h
  Duration request_timeout{3'000};            // one etcd request (a write's reply waits at most this); 100ms..60s, < lease_ttl
  bool operator==(const StoreConfig&) const = default;
};

// One `[[datacenters]]` entry: another datacenter whose catalog this agent follows read-only.
// Only with store.backend = "etcd".
struct DatacenterConfig {
  std::string name;                           // required, one DNS label, lower case, not this agent's datacenter, unique
  std::vector<std::string> etcd_endpoints;    // required, non-empty; normalised like StoreConfig's
  std::string etcd_prefix = "beacon/";        // ends with '/'
  bool operator==(const DatacenterConfig&) const = default;
};

struct PortsConfig {
  int dns = 8600;   // 0: pick a free port (reported in the log); -1: DNS off
  int http = 8500;  // -1: HTTP off
};

struct Config {
  std::string node_name;        // defaults to the host name
  std::string datacenter = "dc1";
  std::string domain = "consul";  // stored without a trailing dot, lower case
  std::string alt_domain;         // empty: none
  std::string data_dir;           // required unless dev
  std::string bind_addr = "127.0.0.1";  // this node's address (A record of <node>.node)
  std::string client_addr = "127.0.0.1";  // where DNS and HTTP listen
  PortsConfig ports;
  std::map<std::string, std::string> node_meta;
  std::string log_level = "info";  // trace | debug | info | warn | error
  // The Consul version /v1/agent/self reports as Config.Version ("MAJOR.MINOR.PATCH"): the
  // Consul API whose endpoints beacon serves. Clients gate features on it (Nomad refuses to
  // place services below 1.7.0); beacon's own version is reported beside it.
  std::string consul_version = "1.17.0";
  std::vector<std::string> recursors;  // "ip" or "ip:port" ("[v6]:port")
  bool enable_local_script_checks = false;
  DnsConfig dns_config;
  AclConfig acl;
  std::vector<ServiceConfig> services;
  StoreConfig store;
  std::vector<DatacenterConfig> datacenters;
  bool dev = false;  // in-memory store; set by `--dev`, not by files
};

}  // namespace beacon::config
