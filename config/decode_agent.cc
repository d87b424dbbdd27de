// decode_document: the agent-level keys, `[ports]` and `[dns_config]` (`[acl]`, `[[services]]`,
// `[store]` and `[[datacenters]]` have their own files).
//
// Each key is decoded by a handler that validates the value and stores it; a key that is
// absent leaves the current value (a default or an earlier file's) alone. That is what makes
// the merge rules fall out: scalars and arrays are replaced, `node_meta` and
// `dns_config.service_ttl` merge key by key, `[[services]]` and `[[datacenters]]` append.
#include <algorithm>
#include <cctype>
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

// A string checked by `check`, which returns the value to store or a reason.
template <typename Check>
Handler checked_string(const Fields& f, std::string& out, Check check) {
  return [&f, &out, check](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    std::expected<std::string, std::string> value = check(*text);
    if (!value) return std::unexpected(f.error(n, key, value.error()));
    out = std::move(*value);
    return {};
  };
}

std::expected<std::string, std::string> domain_value(const std::string& text) {
  return normalize_domain(text);
}

std::expected<std::string, std::string> ip_value(const std::string& text) {
  if (!base::is_ip_literal(text)) return std::unexpected("\"" + text + "\" is not an IP address");
  return text;
}

std::expected<std::string, std::string> label_value(const std::string& text) {
  if (!base::is_dns_label(text)) {
    return std::unexpected("\"" + text + "\" must be 1..63 characters of [A-Za-z0-9-]");
  }
  return text;
}

// Consul stores datacenter names in lower case.
std::expected<std::string, std::string> datacenter_value(const std::string& text) {
  return normalize_datacenter(text);
}

// "MAJOR.MINOR.PATCH", each a decimal number, as Consul's versions are written.
std::expected<std::string, std::string> consul_version_value(const std::string& text) {
  int parts = 0;
  size_t digits = 0;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      ++digits;
    } else if (ch == '.' && digits > 0 && digits <= 9) {
      ++parts;
      digits = 0;
    } else {
      digits = 100;
      break;
    }
  }
  if (parts != 2 || digits == 0 || digits > 9)
    return std::unexpected("\"" + text + "\" is not a version like \"1.17.0\"");
  return text;
}

std::expected<std::string, std::string> log_level_value(const std::string& text) {
  std::string level = text;
  for (char& c : level) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view known : {"trace", "debug", "info", "warn", "error"}) {
    if (level == known) return level;
  }
  return std::unexpected("\"" + text + "\" is not one of trace, debug, info, warn, error");
}

// `node_meta = { key = "value" }`: merged into what earlier files set.
Result decode_node_meta(const Fields& f, const toml::node& n, const std::string& path,
                        std::map<std::string, std::string>& meta) {
  auto table = f.table(n, path);
  if (!table) return std::unexpected(table.error());
  for (const auto& [key, value] : in_file_order(**table)) {
    std::string key_path = path + "." + std::string(key->str());
    auto text = f.string(*value, key_path);
    if (!text) return std::unexpected(text.error());
    if (auto ok = base::check_meta_pair(key->str(), *text); !ok) {
      return std::unexpected(error_at(f.origin(key->source()), key_path, ok.error()));
    }
    meta.insert_or_assign(std::string(key->str()), std::move(*text));
    if (meta.size() > base::kMaxMetaPairs) {
      return std::unexpected(
          error_at(f.origin(key->source()), key_path,
                   "more than " + std::to_string(base::kMaxMetaPairs) + " node_meta pairs"));
    }
  }
  return {};
}

Result decode_recursors(const Fields& f, const toml::node& n, const std::string& path,
                        std::vector<std::string>& out) {
  auto list = f.strings(n, path);
  if (!list) return std::unexpected(list.error());
  std::vector<std::string> unique;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& item = (*list)[i];
    if (auto ok = check_recursor(item); !ok) {
      return std::unexpected(f.error(*n.as_array()->get(i), indexed(path, i), ok.error()));
    }
    // Consul ignores repeated recursors.
    if (std::find(unique.begin(), unique.end(), item) == unique.end()) unique.push_back(item);
  }
  out = std::move(unique);
  return {};
}

Result decode_cidrs(const Fields& f, const toml::node& n, const std::string& path,
                    std::vector<std::string>& out) {
  auto list = f.strings(n, path);
  if (!list) return std::unexpected(list.error());
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto cidr = normalize_cidr((*list)[i]);
    if (!cidr)
      return std::unexpected(f.error(*n.as_array()->get(i), indexed(path, i), cidr.error()));
    (*list)[i] = std::move(*cidr);
  }
  out = std::move(*list);
  return {};
}

// `service_ttl = { "web" = "10s", "api-*" = "5s", "*" = "1s" }`, kept in file order. A key
// already set by an earlier file keeps its place and takes the new value.
Result decode_service_ttl(const Fields& f, const toml::node& n, const std::string& path,
                          std::vector<std::pair<std::string, Duration>>& out) {
  auto table = f.table(n, path);
  if (!table) return std::unexpected(table.error());
  for (const auto& [key, value] : in_file_order(**table)) {
    std::string name(key->str());
    std::string key_path = path + "." + name;
    std::string_view stem = name;
    if (stem.ends_with('*')) stem.remove_suffix(1);
    if ((name.empty() || stem.find('*') != std::string_view::npos)) {
      return std::unexpected(error_at(f.origin(key->source()), key_path,
                                      "must be a service name, \"prefix*\" or \"*\""));
    }
    auto ttl = f.duration(*value, key_path);
    if (!ttl) return std::unexpected(ttl.error());
    auto same =
        std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == name; });
    if (same != out.end()) {
      same->second = *ttl;
    } else {
      out.emplace_back(name, *ttl);
    }
  }
  return {};
}

Result decode_soa(const Fields& f, const toml::node& n, const std::string& path, SoaConfig& soa) {
  auto table = f.table(n, path);
  if (!table) return std::unexpected(table.error());
  return f.walk(**table, path,
                {{"refresh", f.into_int(soa.refresh, 0, kMaxU32)},
                 {"retry", f.into_int(soa.retry, 0, kMaxU32)},
                 {"expire", f.into_int(soa.expire, 0, kMaxU32)},
                 {"min_ttl", f.into_int(soa.min_ttl, 0, kMaxU32)}});
}

Result decode_dns_config(const Fields& f, const toml::node& n, const std::string& path,
                         DnsConfig& dns) {
  auto table = f.table(n, path);
  if (!table) return std::unexpected(table.error());
  auto positive = [&f](Duration& out) -> Handler {
    return [&f, &out](const toml::node& v, const std::string& key) -> Result {
      auto d = f.duration(v, key);
      if (!d) return std::unexpected(d.error());
      if (d->count() <= 0) return std::unexpected(f.error(v, key, "must be at least 1ms"));
      out = *d;
      return {};
    };
  };
  auto strategy = [](const std::string& text) -> std::expected<std::string, std::string> {
    if (text == "sequential" || text == "random") return text;
    return std::unexpected("\"" + text + "\" is not one of sequential, random");
  };
  return f.walk(**table, path,
                {{"node_ttl", f.into(dns.node_ttl)},
                 {"service_ttl",
                  [&](const toml::node& v, const std::string& key) {
                    return decode_service_ttl(f, v, key, dns.service_ttl);
                  }},
                 {"udp_answer_limit", f.into_int(dns.udp_answer_limit, 0, kMaxU32)},
                 {"a_record_limit", f.into_int(dns.a_record_limit, 0, kMaxU32)},
                 {"only_passing", f.into(dns.only_passing)},
                 {"enable_truncate", f.into(dns.enable_truncate)},
                 {"edns_udp_size", f.into_int(dns.edns_udp_size, 512, 65535)},
                 // 65507: the largest UDP payload of an IPv4 datagram; a bigger reply would not be sent.
                 {"max_udp_size", f.into_int(dns.max_udp_size, 512, 65507)},
                 {"protect_threshold",
                  [&](const toml::node& v, const std::string& key) -> Result {
                    auto value = f.fraction(v, key);
                    if (!value) return std::unexpected(value.error());
                    dns.protect_threshold = *value;
                    return {};
                  }},
                 {"recursor_timeout", positive(dns.recursor_timeout)},
                 {"recursor_strategy", checked_string(f, dns.recursor_strategy, strategy)},
                 {"recursion_allowed_from",
                  [&](const toml::node& v, const std::string& key) {
                    return decode_cidrs(f, v, key, dns.recursion_allowed_from);
                  }},
                 {"recursor_max_inflight", f.into_int(dns.recursor_max_inflight, 1, 1000000)},
                 {"tcp_idle_timeout", positive(dns.tcp_idle_timeout)},
                 {"tcp_max_connections", f.into_int(dns.tcp_max_connections, 1, kMaxU32)},
                 {"tcp_max_connections_per_client", f.into_int(dns.tcp_max_connections_per_client, 1, kMaxU32)},
                 {"udp_workers", f.into_int(dns.udp_workers, 0, 256)},
                 {"soa", [&](const toml::node& v, const std::string& key) {
                    return decode_soa(f, v, key, dns.soa);
                  }}});
}

Result decode_ports(const Fields& f, const toml::node& n, const std::string& path,
                    PortsConfig& ports) {
  auto table = f.table(n, path);
  if (!table) return std::unexpected(table.error());
  // -1 turns the listener off; 0 asks the OS for a free port.
  return f.walk(
      **table, path,
      {{"dns", f.into_int(ports.dns, -1, 65535)}, {"http", f.into_int(ports.http, -1, 65535)}});
}

}  // namespace

std::expected<void, Error> decode_document(const Fields& f, const toml::table& root,
                                           LoadState& state) {
  Config& c = state.config;
  return f.walk(
      root, "",
      {{"node_name",
        [&](const toml::node& n, const std::string& key) {
          state.node_name_set = true;
          return checked_string(f, c.node_name, label_value)(n, key);
        }},
       {"datacenter", checked_string(f, c.datacenter, datacenter_value)},
       {"domain", checked_string(f, c.domain, domain_value)},
       {"alt_domain",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto text = f.string(n, key);
          if (!text) return std::unexpected(text.error());
          state.alt_domain_at = f.origin(n);
          if (text->empty()) {  // an explicit "" clears an earlier file's alt_domain
            c.alt_domain.clear();
            return {};
          }
          return checked_string(f, c.alt_domain, domain_value)(n, key);
        }},
       {"data_dir", f.into(c.data_dir)},
       {"bind_addr", checked_string(f, c.bind_addr, ip_value)},
       {"client_addr", checked_string(f, c.client_addr, ip_value)},
       {"ports", [&](const toml::node& n, const std::string& key) { return decode_ports(f, n, key, c.ports); }},
       {"node_meta",
        [&](const toml::node& n, const std::string& key) { return decode_node_meta(f, n, key, c.node_meta); }},
       {"log_level", checked_string(f, c.log_level, log_level_value)},
       {"consul_version", checked_string(f, c.consul_version, consul_version_value)},
       {"recursors",
        [&](const toml::node& n, const std::string& key) { return decode_recursors(f, n, key, c.recursors); }},
       {"enable_local_script_checks", f.into(c.enable_local_script_checks)},
       {"dns_config",
        [&](const toml::node& n, const std::string& key) { return decode_dns_config(f, n, key, c.dns_config); }},
       {"acl", [&](const toml::node& n, const std::string& key) { return decode_acl(f, n, key, c.acl); }},
       {"services", [&](const toml::node& n, const std::string&) { return decode_services(f, n, state); }},
       {"store", [&](const toml::node& n, const std::string&) { return decode_store(f, n, state); }},
       {"datacenters", [&](const toml::node& n, const std::string&) { return decode_datacenters(f, n, state); }}});
}

}  // namespace beacon::config::detail
