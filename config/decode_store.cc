// decode_store and decode_datacenters: `[store]` and `[[datacenters]]`.
//
// `[store]` merges key by key like `[dns_config]` (etcd_endpoints, an array, is replaced
// whole); `[[datacenters]]` entries accumulate across files like `[[services]]`. Each value
// is checked here, where its position is known; rules between keys (backend and endpoints,
// cert and key, username and password, TLS and https, request_timeout and lease_ttl, the
// datacenters' names and backend) run in finish_load() once every file is merged. The
// password is never part of an error message (only its position).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/decode.h"
#include "config/validate.h"

namespace beacon::config::detail {
namespace {

using Result = std::expected<void, Error>;
using Handler = Fields::Handler;

constexpr Duration kMinLeaseTtl{2'000};
constexpr Duration kMaxLeaseTtl{3'600'000};
constexpr Duration kMinRequestTimeout{100};
constexpr Duration kMaxRequestTimeout{60'000};

// "cannot read FILE: reason" unless `path` opens for reading and is not a directory.
std::expected<void, std::string> check_readable(const std::string& path) {
  // O_NONBLOCK: a FIFO must not hang the load.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::unexpected("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  bool is_dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (is_dir) return std::unexpected("cannot read " + path + ": is a directory");
  return {};
}

// An array of etcd endpoints, each normalised (normalize_etcd_endpoint); a repeated endpoint
// (after normalising) is an error at the repeat. An empty array is accepted here.
Result decode_endpoints(const Fields& f, const toml::node& n, const std::string& path,
                        std::vector<std::string>& out) {
  auto list = f.strings(n, path);
  if (!list) return std::unexpected(list.error());
  const toml::array& array = *n.as_array();
  std::vector<std::string> endpoints;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::node& item = *array.get(i);
    auto endpoint = normalize_etcd_endpoint((*list)[i]);
    if (!endpoint) return std::unexpected(f.error(item, indexed(path, i), endpoint.error()));
    auto same = std::find(endpoints.begin(), endpoints.end(), *endpoint);
    if (same != endpoints.end()) {
      const toml::node& first = *array.get(static_cast<std::size_t>(same - endpoints.begin()));
      return std::unexpected(f.error(item, indexed(path, i),
                                     "duplicate endpoint \"" + *endpoint + "\" (first defined at " +
                                         describe(f.origin(first)) + ")"));
    }
    endpoints.push_back(std::move(*endpoint));
  }
  out = std::move(endpoints);
  return {};
}

Handler endpoints_into(const Fields& f, std::vector<std::string>& out,
                       std::optional<Origin>* at = nullptr) {
  return [&f, &out, at](const toml::node& n, const std::string& key) -> Result {
    if (auto ok = decode_endpoints(f, n, key, out); !ok) return ok;
    if (at != nullptr) *at = f.origin(n);
    return {};
  };
}

Handler prefix_into(const Fields& f, std::string& out) {
  return [&f, &out](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    if (auto ok = check_etcd_prefix(*text); !ok) return std::unexpected(f.error(n, key, ok.error()));
    out = std::move(*text);
    return {};
  };
}

// A string whose "" clears what an earlier file set (like alt_domain); `check` (when given)
// vets a non-empty value. The value itself is never put in a message by this handler.
Handler clearable(const Fields& f, std::string& out, std::optional<Origin>& at,
                  std::expected<void, std::string> (*check)(const std::string&) = nullptr) {
  return [&f, &out, &at, check](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    if (text->empty()) {
      out.clear();
      at.reset();
      return {};
    }
    if (check != nullptr) {
      if (auto ok = check(*text); !ok) return std::unexpected(f.error(n, key, ok.error()));
    }
    out = std::move(*text);
    at = f.origin(n);
    return {};
  };
}

// A duration in [min, max]; `min_text`/`max_text` spell the bounds for the message.
Handler bounded(const Fields& f, Duration& out, std::optional<Origin>& at, Duration min,
                std::string_view min_text, Duration max, std::string_view max_text) {
  return [&f, &out, &at, min, min_text, max, max_text](const toml::node& n,
                                                       const std::string& key) -> Result {
    auto d = f.duration(n, key);
    if (!d) return std::unexpected(d.error());
    if (*d < min) return std::unexpected(f.error(n, key, "must be at least " + std::string(min_text)));
    if (*d > max) return std::unexpected(f.error(n, key, "must be at most " + std::string(max_text)));
    out = *d;
    at = f.origin(n);
    return {};
  };
}

Result decode_datacenter(const Fields& f, const toml::table& table, const std::string& path,
                         DatacenterConfig& dc, DatacenterOrigin& origin) {
  bool endpoints_given = false;
  Result walked = f.walk(
      table, path,
      {{"name",
        [&](const toml::node& n, const std::string& key) -> Result {
          auto text = f.string(n, key);
          if (!text) return std::unexpected(text.error());
          auto name = normalize_datacenter(*text);  // lower case, as `datacenter`
          if (!name) return std::unexpected(f.error(n, key, name.error()));
          dc.name = std::move(*name);
          origin.name_at = f.origin(n);
          return {};
        }},
       {"etcd_endpoints",
        [&](const toml::node& n, const std::string& key) -> Result {
          if (auto ok = decode_endpoints(f, n, key, dc.etcd_endpoints); !ok) return ok;
          if (dc.etcd_endpoints.empty()) return std::unexpected(f.error(n, key, "must not be empty"));
          endpoints_given = true;
          return {};
        }},
       {"etcd_prefix", prefix_into(f, dc.etcd_prefix)}});
  if (!walked) return walked;
  if (dc.name.empty()) return std::unexpected(error_at(origin.at, path + ".name", "is required"));
  if (!endpoints_given) {
    return std::unexpected(error_at(origin.at, path + ".etcd_endpoints", "is required"));
  }
  return {};
}

}  // namespace

std::expected<void, Error> decode_store(const Fields& f, const toml::node& node, LoadState& state) {
  const std::string path = "store";
  auto table = f.table(node, path);
  if (!table) return std::unexpected(table.error());
  StoreConfig& s = state.config.store;
  StoreOrigin& o = state.store;
  auto backend = [&](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    if (*text != "embedded" && *text != "etcd") {
      return std::unexpected(f.error(n, key, "\"" + *text + "\" is not one of embedded, etcd"));
    }
    s.backend = std::move(*text);
    o.backend = f.origin(n);
    return {};
  };
  return f.walk(**table, path,
                {{"backend", backend},
                 {"etcd_endpoints", endpoints_into(f, s.etcd_endpoints, &o.etcd_endpoints)},
                 {"etcd_prefix", prefix_into(f, s.etcd_prefix)},
                 {"ca_file", clearable(f, s.ca_file, o.ca_file, check_readable)},
                 {"cert_file", clearable(f, s.cert_file, o.cert_file, check_readable)},
                 {"key_file", clearable(f, s.key_file, o.key_file, check_readable)},
                 {"username", clearable(f, s.username, o.username)},
                 {"password", clearable(f, s.password, o.password)},
                 {"lease_ttl",
                  bounded(f, s.lease_ttl, o.lease_ttl, kMinLeaseTtl, "2s", kMaxLeaseTtl, "1h")},
                 {"request_timeout", bounded(f, s.request_timeout, o.request_timeout,
                                             kMinRequestTimeout, "100ms", kMaxRequestTimeout, "60s")}});
}

std::expected<void, Error> decode_datacenters(const Fields& f, const toml::node& node,
                                              LoadState& state) {
  return f.tables(node, "datacenters",
                  [&](const toml::table& table, const toml::node& item,
                      const std::string& item_path) -> std::expected<void, Error> {
                    DatacenterConfig dc;
                    DatacenterOrigin origin{f.origin(item), f.origin(item), item_path};
                    if (auto ok = decode_datacenter(f, table, item_path, dc, origin); !ok) return ok;
                    state.config.datacenters.push_back(std::move(dc));
                    state.datacenters.push_back(std::move(origin));
                    return {};
                  });
}

}  // namespace beacon::config::detail
