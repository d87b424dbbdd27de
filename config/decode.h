// PRIVATE to config/: applying parsed TOML documents to a Config, one file at a time.
//
// load_files() parses each file and calls decode_document() on one shared LoadState, so a
// later file overrides scalars, merges tables key by key and appends services. LoadState
// remembers where services and checks were written, so that finish_load() can report
// cross-file problems (duplicate IDs, script checks without enable_local_script_checks) at
// the right file and line. Includes toml++: never include from outside config/.
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

// The Config being built and the positions needed for checks after the last file.
struct LoadState {
  Config config;
  std::vector<ServiceOrigin> services;
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

// Checks that need every file: fills node_name from the host name when unset, rejects
// alt_domain equal to domain, duplicate service or check IDs and script checks without
// enable_local_script_checks. Returns the finished Config.
std::expected<Config, Error> finish_load(LoadState state);

}  // namespace beacon::config::detail
