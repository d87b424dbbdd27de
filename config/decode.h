// PRIVATE to config/: applying parsed TOML documents to a Config, one file at a time.
//
// load_files() parses each file and calls decode_document() on one shared LoadState, so a
// later file overrides scalars, merges tables key by key and appends services and
// datacenters. LoadState remembers where services, checks, `[store]` values and datacenters
// were written, so that finish_load() can report cross-file problems (duplicate IDs, script
// checks without enable_local_script_checks, store keys that do not fit together) at the
// right file and line. Includes toml++: never include from outside config/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "config/toml_fields.h"

namespace beacon::config::detail {

// Where one check was written, parallel to ServiceConfig::checks.
struct CheckOrigin {
  Origin at;         // the check's table
  Origin id_at;      // its `id` value, or the table when the id was derived
  Origin target_at;  // the value that decided its kind (`args` for a script check)
  std::string path;  // "services[0].checks[1]", relative to its own file
};

// Where one service was written, parallel to Config::services.
struct ServiceOrigin {
  Origin at;
  Origin id_at;
  std::string path;  // "services[2]", relative to its own file
  std::vector<CheckOrigin> checks;
};

// Where the `[store]` values in force were written; nullopt while a key keeps its default
// (or after an explicit "" cleared a file or credential key).
struct StoreOrigin {
  std::optional<Origin> backend, etcd_endpoints, ca_file, cert_file, key_file, username, password,
      lease_ttl, request_timeout;
};

// Where one `[[datacenters]]` entry was written, parallel to Config::datacenters.
struct DatacenterOrigin {
  Origin at;         // the entry's table
  Origin name_at;    // its `name` value
  std::string path;  // "datacenters[1]", relative to its own file
};

// The Config being built and the positions needed for checks after the last file.
struct LoadState {
  Config config;
  std::vector<ServiceOrigin> services;
  StoreOrigin store;
  std::vector<DatacenterOrigin> datacenters;
  std::optional<Origin> alt_domain_at;  // where the alt_domain in force was set
  bool node_name_set = false;
};

// Applies every key of one document's root table to `state`. Returns the first problem.
std::expected<void, Error> decode_document(const Fields& fields, const toml::table& root,
                                           LoadState& state);

// Appends the `[[services]]` array `node` (at key path "services") to `state`, filling in
// service IDs and check IDs and names.
std::expected<void, Error> decode_services(const Fields& fields, const toml::node& node,
                                           LoadState& state);

// Applies the `[acl]` table at `node` (key path `path`) to `acl`; tokens accumulate.
std::expected<void, Error> decode_acl(const Fields& fields, const toml::node& node, const std::string& path,
                                      AclConfig& acl);

// Applies the `[store]` table at `node` (key path "store") to `state`: every value is checked
// on its own here (names, endpoints, prefix, readable TLS files, duration ranges); the rules
// between keys wait for finish_load(), since another file may still set the other key.
std::expected<void, Error> decode_store(const Fields& fields, const toml::node& node,
                                        LoadState& state);

// Appends the `[[datacenters]]` array `node` (at key path "datacenters") to `state`. Each
// entry is complete in its file; uniqueness, the agent's own datacenter and the backend are
// checked by finish_load().
std::expected<void, Error> decode_datacenters(const Fields& fields, const toml::node& node,
                                              LoadState& state);

// Checks that need every file: fills node_name from the host name when unset, rejects
// alt_domain equal to domain, duplicate service or check IDs, script checks without
// enable_local_script_checks, `[store]` keys that do not fit together and `[[datacenters]]`
// that are duplicates, name this agent's datacenter or come without the etcd backend.
// Returns the finished Config.
std::expected<Config, Error> finish_load(LoadState state);

}  // namespace beacon::config::detail
