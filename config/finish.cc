// finish_load: the checks and defaults that need every file merged first.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>
#include <string>
#include <utility>

#include "config/decode.h"

namespace beacon::config::detail {
namespace {

using Result = std::expected<void, Error>;

// "10s", "1h", "1500ms": the shortest exact spelling of `d`, for messages.
std::string format_duration(Duration d) {
  auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1'000 == 0) return std::to_string(ms / 1'000) + "s";
  return std::to_string(ms) + "ms";
}

// `[store]` rules between keys, on the merged values. They hold whatever the backend, except
// that only "etcd" needs endpoints. The password's value never appears in a message.
Result finish_store(const Config& c, const StoreOrigin& o) {
  const StoreConfig& s = c.store;
  if (s.backend == "etcd" && s.etcd_endpoints.empty()) {
    if (o.etcd_endpoints) {
      return std::unexpected(error_at(*o.etcd_endpoints, "store.etcd_endpoints",
                                      "must not be empty when store.backend is \"etcd\""));
    }
    return std::unexpected(error_at(o.backend.value_or(Origin{}), "store.etcd_endpoints",
                                    "is required when store.backend is \"etcd\""));
  }
  // Pairs: reported at the one that was given.
  struct Pair {
    const std::string& a_value;
    const std::optional<Origin>& a_at;
    const char* a_key;
    const std::string& b_value;
    const std::optional<Origin>& b_at;
    const char* b_key;
  };
  const Pair pairs[] = {
      {s.cert_file, o.cert_file, "store.cert_file", s.key_file, o.key_file, "store.key_file"},
      {s.username, o.username, "store.username", s.password, o.password, "store.password"},
  };
  for (const Pair& p : pairs) {
    if (!p.a_value.empty() && p.b_value.empty()) {
      return std::unexpected(error_at(p.a_at.value_or(Origin{}), p.a_key,
                                      "needs " + std::string(p.b_key) + " too (give both or neither)"));
    }
    if (p.a_value.empty() && !p.b_value.empty()) {
      return std::unexpected(error_at(p.b_at.value_or(Origin{}), p.b_key,
                                      "needs " + std::string(p.a_key) + " too (give both or neither)"));
    }
  }
  bool any_https = std::any_of(s.etcd_endpoints.begin(), s.etcd_endpoints.end(),
                               [](const std::string& e) { return e.starts_with("https://"); });
  if (!any_https) {
    const std::pair<const std::optional<Origin>&, const char*> files[] = {
        {o.ca_file, "store.ca_file"}, {o.cert_file, "store.cert_file"}, {o.key_file, "store.key_file"}};
    for (const auto& [at, key] : files) {
      if (at) {
        return std::unexpected(
            error_at(*at, key, "TLS files need an https:// endpoint in store.etcd_endpoints"));
      }
    }
  }
  if (s.request_timeout >= s.lease_ttl) {
    // Reported at request_timeout when a file set it, else at lease_ttl (the defaults fit,
    // so one of them was set).
    if (o.request_timeout) {
      return std::unexpected(error_at(*o.request_timeout, "store.request_timeout",
                                      "must be shorter than store.lease_ttl (" +
                                          format_duration(s.lease_ttl) + ")"));
    }
    return std::unexpected(error_at(o.lease_ttl.value_or(Origin{}), "store.lease_ttl",
                                    "must be longer than store.request_timeout (" +
                                        format_duration(s.request_timeout) + ")"));
  }
  return {};
}

// `[[datacenters]]`: only with the etcd backend, unique, never this agent's own datacenter.
Result finish_datacenters(const Config& c, const std::vector<DatacenterOrigin>& origins) {
  if (c.datacenters.empty()) return {};
  if (c.store.backend != "etcd") {
    return std::unexpected(error_at(origins[0].at, origins[0].path,
                                    "needs store.backend = \"etcd\" (the embedded store cannot "
                                    "follow other datacenters)"));
  }
  std::map<std::string, const Origin*> names;
  for (std::size_t i = 0; i < c.datacenters.size(); ++i) {
    const DatacenterConfig& dc = c.datacenters[i];
    const DatacenterOrigin& origin = origins[i];
    if (dc.name == c.datacenter) {
      return std::unexpected(error_at(origin.name_at, origin.path + ".name",
                                      "\"" + dc.name + "\" is this agent's own datacenter"));
    }
    auto [first, inserted] = names.emplace(dc.name, &origin.name_at);
    if (!inserted) {
      return std::unexpected(error_at(origin.name_at, origin.path + ".name",
                                      "duplicate datacenter \"" + dc.name + "\" (first defined at " +
                                          describe(*first->second) + ")"));
    }
  }
  return {};
}

}  // namespace

std::expected<Config, Error> finish_load(LoadState state) {
  Config& c = state.config;
  if (!state.node_name_set) c.node_name = default_node_name();

  if (!c.alt_domain.empty() && c.alt_domain == c.domain) {
    Origin at = state.alt_domain_at.value_or(Origin{});
    return std::unexpected(error_at(at, "alt_domain", "must differ from domain"));
  }

  // Service IDs and check IDs are unique across all files, as in one Consul agent.
  std::map<std::string, const Origin*> service_ids;
  std::map<std::string, const Origin*> check_ids;
  for (std::size_t s = 0; s < c.services.size(); ++s) {
    const ServiceConfig& svc = c.services[s];
    const ServiceOrigin& origin = state.services[s];
    auto [first, inserted] = service_ids.emplace(svc.id, &origin.id_at);
    if (!inserted) {
      return std::unexpected(error_at(origin.id_at, origin.path + ".id",
                                      "duplicate service ID \"" + svc.id + "\" (first defined at " +
                                          describe(*first->second) + ")"));
    }
    for (std::size_t k = 0; k < svc.checks.size(); ++k) {
      const CheckConfig& check = svc.checks[k];
      const CheckOrigin& check_origin = origin.checks[k];
      auto [earlier, fresh] = check_ids.emplace(check.id, &check_origin.id_at);
      if (!fresh) {
        return std::unexpected(error_at(check_origin.id_at, check_origin.path + ".id",
                                        "duplicate check ID \"" + check.id +
                                            "\" (first defined at " + describe(*earlier->second) +
                                            ")"));
      }
      if (check.kind == CheckConfig::Kind::script && !c.enable_local_script_checks) {
        return std::unexpected(error_at(check_origin.target_at, check_origin.path + ".args",
                                        "script checks need enable_local_script_checks = true"));
      }
    }
  }
  if (auto ok = finish_store(c, state.store); !ok) return std::unexpected(ok.error());
  if (auto ok = finish_datacenters(c, state.datacenters); !ok) return std::unexpected(ok.error());
  // The agent keeps the config for its life: no growth slack (a quarter of the list's size
  // on average; megabytes with 100k services).
  c.services.shrink_to_fit();
  return std::move(state.config);
}

}  // namespace beacon::config::detail

namespace beacon::config {

std::string default_node_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string name(host);
  name = name.substr(0, name.find('.'));
  // Keep the name usable as one DNS label even on oddly named hosts.
  for (char& ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!ok) ch = '-';
  }
  if (name.size() > 63) name.resize(63);
  if (name.empty()) name = "beacon";
  return name;
}

std::expected<void, Error> check_data_dir(const Config& config) {
  if (config.dev || !config.data_dir.empty()) return {};
  return std::unexpected(Error{"data_dir: required unless the agent runs with --dev"});
}

std::string keep_restart_only_settings(const Config& running, Config& next) {
  std::string warning;
  if (next.client_addr != running.client_addr || next.ports.dns != running.ports.dns ||
      next.data_dir != running.data_dir || next.datacenter != running.datacenter ||
      next.node_name != running.node_name)
    warning = "client_addr, ports, data_dir, datacenter and node_name changes need a restart; ignored";
  if (next.store != running.store || next.datacenters != running.datacenters)
    warning += std::string(warning.empty() ? "" : "; ") + "[store] and [[datacenters]] changes need a restart; ignored";
  next.client_addr = running.client_addr;
  next.ports = running.ports;
  next.data_dir = running.data_dir;
  next.datacenter = running.datacenter;
  next.node_name = running.node_name;
  next.dev = running.dev;
  next.store = running.store;
  next.datacenters = running.datacenters;
  return warning;
}

}  // namespace beacon::config
