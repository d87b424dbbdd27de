// Loading and validating configuration files.
//
// Files are TOML with Consul's option names. Several files merge in the order given: scalar
// keys from a later file override earlier ones, tables (`node_meta`, `[dns_config]`,
// `[store]`) merge key by key, and `[[services]]` and `[[datacenters]]` entries accumulate.
// Arrays (`recursors`, `recursion_allowed_from`, `tags`, `etcd_endpoints`, ...) count as
// scalars: a later file replaces them whole.
// `dns_config.service_ttl` merges like a table: a name set again keeps its place in the
// order and takes the new value. Unknown keys at any level are errors. Every failure is
// reported as one line "FILE:LINE:COL: KEY: what is wrong". Functions here are pure (apart
// from reading files and the host name) and thread-compatible.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace beacon::config {

struct Error {
  std::string message;  // "file:line:col: key: reason", ready to print
};

// Reads, merges and validates `files` in order. Returns the complete Config with defaults
// filled in (node_name from the host name when unset, service IDs from names, check IDs and
// names as Consul derives them), or the first error found. A file that cannot be read gives
// "FILE: cannot read: reason"; a TOML syntax error "FILE:LINE:COL: TOML syntax error: ...".
// Checks that span files (duplicate service or check IDs, script checks without
// `enable_local_script_checks = true`, alt_domain equal to domain, `[store]` keys that must go
// together, `[[datacenters]]` names and backend) run after the last file and name the file and
// line of the offending entry. TLS files named in `[store]` must be readable ("cannot read
// FILE: reason"); the etcd password never appears in a message. `data_dir` is NOT required
// here: it is left empty when no file sets it; see check_data_dir(). `dev` is always false.
// REQUIRES: files is not empty.
std::expected<Config, Error> load_files(const std::vector<std::string>& files);

// Lists the `*.toml` files in `dir` in name order (not recursive). Returns an Error when the
// directory cannot be read. An empty directory gives an empty list.
std::expected<std::vector<std::string>, Error> list_config_dir(const std::string& dir);

// Parses one TOML document held in memory, as if read from a file named `name`. Used for the
// embedded example config and by tests.
std::expected<Config, Error> load_string(std::string_view toml, std::string_view name);

// The configuration `beacon agent --dev` runs with when no file is given: defaults, an
// in-memory store, node name from the host name.
Config dev_defaults();

// Returns nothing when `config` is usable by an agent as far as storage goes: `dev` is set
// or `data_dir` is not empty. Otherwise an Error "data_dir: required unless ...".
std::expected<void, Error> check_data_dir(const Config& config);

// The default node name: the first label of gethostname(), with any character outside
// [A-Za-z0-9-] replaced by '-' and cut to 63 characters ("beacon" if the host has no name).
std::string default_node_name();

// A reload (SIGHUP) keeps the settings that need a restart: copies them from `running` into
// `next` (listen addresses and ports, data_dir, datacenter, node_name, dev, [store] and
// [[datacenters]]) and returns a warning naming those that differed ("" when none did).
std::string keep_restart_only_settings(const Config& running, Config& next);

}  // namespace beacon::config
