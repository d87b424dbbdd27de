// decode_services: `[[services]]` and their `[[services.checks]]`.
//
// Per-service rules are checked here; rules that need every file (duplicate IDs, script
// checks) are left to finish_load(), which uses the origins recorded here.
#include <limits>

#include "base/address.h"
#include "base/meta.h"
#include "config/decode.h"
#include "config/validate.h"

namespace beacon::config::detail {
namespace {

using Result = std::expected<void, Error>;
using Handler = Fields::Handler;
constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr Duration kMinInterval{1000};

std::string_view kind_name(CheckConfig::Kind kind) {
  switch (kind) {
    case CheckConfig::Kind::http: return "http";
    case CheckConfig::Kind::tcp: return "tcp";
    case CheckConfig::Kind::udp: return "udp";
    case CheckConfig::Kind::ttl: return "ttl";
    case CheckConfig::Kind::script: return "script";
    case CheckConfig::Kind::grpc: return "grpc";
  }
  return "unknown";
}

// A string that must not be empty; `seen` (optional) records where it was written.
Handler non_empty(const Fields& f, std::string& out, Origin* seen = nullptr) {
  return [&f, &out, seen](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    if (text->empty()) return std::unexpected(f.error(n, key, "must not be empty"));
    if (seen != nullptr) *seen = f.origin(n);
    out = std::move(*text);
    return {};
  };
}

// Decodes one check table. `target_key` records which kind-deciding key was seen first.
Result decode_check(const Fields& f, const toml::table& table, const std::string& path,
                    CheckConfig& check, CheckOrigin& origin) {
  std::string target_key;  // the first of http/tcp/udp/grpc/args/ttl seen
  bool have_warning = false, have_critical = false;
  Origin warning_at;
  // Handler for a kind-deciding key: at most one may appear.
  auto target = [&](CheckConfig::Kind kind, Handler store) -> Handler {
    return [&f, &check, &origin, &target_key, kind, store](const toml::node& n,
                                                           const std::string& key) -> Result {
      std::string name = key.substr(key.rfind('.') + 1);
      if (!target_key.empty()) {
        return std::unexpected(f.error(n, key,
                                       "a check has exactly one of http, tcp, udp, grpc, args "
                                       "or ttl, and this one already has " +
                                           target_key));
      }
      if (auto ok = store(n, key); !ok) return ok;
      target_key = name;
      check.kind = kind;
      origin.target_at = f.origin(n);
      return {};
    };
  };
  auto host_port = [&f](std::string& out, bool allow_path) -> Handler {
    return [&f, &out, allow_path](const toml::node& n, const std::string& key) -> Result {
      auto text = f.string(n, key);
      if (!text) return std::unexpected(text.error());
      if (auto ok = base::check_host_port(*text, allow_path); !ok) {
        return std::unexpected(f.error(n, key, ok.error()));
      }
      out = std::move(*text);
      return {};
    };
  };
  Result walked = f.walk(
      table, path,
      {{"id", non_empty(f, check.id, &origin.id_at)},
       {"name", f.into(check.name)},
       {"notes", f.into(check.notes)},
       {"http", target(CheckConfig::Kind::http,
                       [&](const toml::node& n, const std::string& key) -> Result {
                         auto text = f.string(n, key);
                         if (!text) return std::unexpected(text.error());
                         if (!text->starts_with("http://") && !text->starts_with("https://")) {
                           return std::unexpected(
                               f.error(n, key, "must be an http:// or https:// URL"));
                         }
                         check.http = std::move(*text);
                         return {};
                       })},
       {"method", non_empty(f, check.method)},
       {"header", [&](const toml::node& n, const std::string& key) -> Result {
          auto headers = f.table(n, key);
          if (!headers) return std::unexpected(headers.error());
          for (const auto& [name, values] : in_file_order(**headers)) {
            auto list = f.strings(*values, key + "." + std::string(name->str()));
            if (!list) return std::unexpected(list.error());
            check.header[std::string(name->str())] = std::move(*list);
          }
          return {};
        }},
       {"body", f.into(check.body)},
       {"tls_skip_verify", f.into(check.tls_skip_verify)},
       {"tcp", target(CheckConfig::Kind::tcp, host_port(check.tcp, false))},
       {"udp", target(CheckConfig::Kind::udp, host_port(check.udp, false))},
       {"grpc", target(CheckConfig::Kind::grpc, host_port(check.grpc, true))},
       {"grpc_use_tls", f.into(check.grpc_use_tls)},
       {"tls_server_name", f.into(check.tls_server_name)},
       {"args", target(CheckConfig::Kind::script,
                       [&](const toml::node& n, const std::string& key) -> Result {
                         auto ok = f.into(check.args)(n, key);
                         if (ok && check.args.empty()) {
                           return std::unexpected(f.error(n, key, "must name a program"));
                         }
                         return ok;
                       })},
       {"ttl", target(CheckConfig::Kind::ttl,
                      [&](const toml::node& n, const std::string& key) -> Result {
                        auto ok = f.into(check.ttl)(n, key);
                        if (ok && check.ttl.count() <= 0) {
                          return std::unexpected(f.error(n, key, "must be at least 1ms"));
                        }
                        return ok;
                      })},
       {"interval", [&](const toml::node& n, const std::string& key) -> Result {
          auto ok = f.into(check.interval)(n, key);
          if (ok && check.interval < kMinInterval) {
            return std::unexpected(f.error(n, key, "must be at least 1s"));
          }
          return ok;
        }},
       {"timeout", f.into(check.timeout)},
       {"status", [&](const toml::node& n, const std::string& key) -> Result {
          auto text = f.string(n, key);
          if (!text) return std::unexpected(text.error());
          if (*text != "passing" && *text != "warning" && *text != "critical") {
            return std::unexpected(
                f.error(n, key, "\"" + *text + "\" is not one of passing, warning, critical"));
          }
          check.status = std::move(*text);
          return {};
        }},
       {"success_before_passing", f.into_int(check.success_before_passing, 0, kMaxU32)},
       {"failures_before_warning", [&](const toml::node& n, const std::string& key) {
          have_warning = true;
          warning_at = f.origin(n);
          return f.into_int(check.failures_before_warning, 0, kMaxU32)(n, key);
        }},
       {"failures_before_critical", [&](const toml::node& n, const std::string& key) {
          have_critical = true;
          return f.into_int(check.failures_before_critical, 0, kMaxU32)(n, key);
        }},
       {"deregister_critical_service_after", f.into(check.deregister_critical_service_after)}});
  if (!walked) return walked;

  if (target_key.empty()) {
    return std::unexpected(
        error_at(origin.at, path, "a check needs one of http, tcp, udp, grpc, args or ttl"));
  }
  if (check.kind != CheckConfig::Kind::ttl && check.interval.count() == 0) {
    return std::unexpected(
        error_at(origin.at, path + ".interval",
                 "is required for " + std::string(kind_name(check.kind)) + " checks"));
  }
  if (have_warning && have_critical &&
      check.failures_before_warning > check.failures_before_critical) {
    return std::unexpected(error_at(warning_at, path + ".failures_before_warning",
                                    "must not exceed failures_before_critical"));
  }
  return {};
}

Result decode_service(const Fields& f, const toml::table& table, const std::string& path,
                      ServiceConfig& svc, ServiceOrigin& origin) {
  bool id_given = false;
  std::vector<const toml::node*> check_nodes;
  std::string checks_path = path + ".checks";
  Result walked = f.walk(
      table, path,
      {{"id",
        [&](const toml::node& n, const std::string& key) -> Result {
          id_given = true;
          return non_empty(f, svc.id, &origin.id_at)(n, key);
        }},
       {"name", non_empty(f, svc.name)},
       {"tags", f.into(svc.tags)},
       {"address",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto ok = f.into(svc.address)(n, key);
          if (ok && !svc.address.empty() && !base::is_ip_literal(svc.address)) {
            return std::unexpected(f.error(n, key, "\"" + svc.address + "\" is not an IP address"));
          }
          return ok;
        }},
       {"port", f.into_int(svc.port, 0, 65535)},
       {"meta",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto meta = f.table(n, key);
          if (!meta) return std::unexpected(meta.error());
          if ((*meta)->size() > base::kMaxMetaPairs) {
            return std::unexpected(
                f.error(n, key, "has more than " + std::to_string(base::kMaxMetaPairs) + " pairs"));
          }
          for (const auto& [name, value] : in_file_order(**meta)) {
            std::string item_path = key + "." + std::string(name->str());
            auto text = f.string(*value, item_path);
            if (!text) return std::unexpected(text.error());
            if (auto ok = base::check_meta_pair(name->str(), *text); !ok) {
              return std::unexpected(error_at(f.origin(name->source()), item_path, ok.error()));
            }
            svc.meta[std::string(name->str())] = std::move(*text);
          }
          return {};
        }},
       {"weights",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto weights = f.table(n, key);
          if (!weights) return std::unexpected(weights.error());
          return f.walk(**weights, key,
                        {{"passing", f.into_int(svc.weights.passing, 1, 65535)},
                         {"warning", f.into_int(svc.weights.warning, 0, 65535)}});
        }},
       {"protect_threshold",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto value = f.fraction(n, key);
          if (!value) return std::unexpected(value.error());
          svc.protect_threshold = *value;
          return {};
        }},
       {"checks", [&](const toml::node& n, const std::string& key) -> Result {
          auto list = f.array(n, key);
          if (!list) return std::unexpected(list.error());
          for (const toml::node& item : **list) check_nodes.push_back(&item);
          return {};
        }}});
  if (!walked) return walked;
  if (svc.name.empty()) return std::unexpected(error_at(origin.at, path + ".name", "is required"));
  if (!id_given) {
    svc.id = svc.name;
    origin.id_at = origin.at;
  }

  // Checks come last so that their default IDs and names can use the service's.
  for (std::size_t i = 0; i < check_nodes.size(); ++i) {
    std::string check_path = indexed(checks_path, i);
    auto table_node = f.table(*check_nodes[i], check_path);
    if (!table_node) return std::unexpected(table_node.error());
    CheckConfig check;
    CheckOrigin check_origin{f.origin(*check_nodes[i]), f.origin(*check_nodes[i]), {}, check_path};
    if (auto ok = decode_check(f, **table_node, check_path, check, check_origin); !ok) return ok;
    if (check.id.empty()) {
      check.id = "service:" + svc.id;
      if (check_nodes.size() > 1) check.id += ":" + std::to_string(i + 1);
    }
    if (check.name.empty()) check.name = "Service '" + svc.name + "' check";
    svc.checks.push_back(std::move(check));
    origin.checks.push_back(std::move(check_origin));
  }
  return {};
}

}  // namespace

std::expected<void, Error> decode_services(const Fields& f, const toml::node& node,
                                           LoadState& state) {
  return f.tables(node, "services",
                  [&](const toml::table& table, const toml::node& item,
                      const std::string& item_path) -> std::expected<void, Error> {
                    ServiceConfig svc;
                    ServiceOrigin origin{f.origin(item), f.origin(item), item_path, {}};
                    if (auto ok = decode_service(f, table, item_path, svc, origin); !ok) return ok;
                    state.config.services.push_back(std::move(svc));
                    state.services.push_back(std::move(origin));
                    return {};
                  });
}

}  // namespace beacon::config::detail
