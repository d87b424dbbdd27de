// finish_load: the checks and defaults that need every file merged first.
#include <unistd.h>

#include <climits>
#include <map>

#include "config/decode.h"

namespace beacon::config::detail {

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

}  // namespace beacon::config
