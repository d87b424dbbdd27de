#!/usr/bin/env bash
# Enforces the module layering of DESIGN.md that CMake alone cannot: every header is
# reachable from the repo root, so a forbidden #include would compile. Also checks that
# each third-party library stays behind its one module. Exits 1 listing every violation.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
fail=0

# forbid DIR PATTERN WHY: no file under DIR may include a header matching PATTERN.
forbid() {
  local dir=$1 pattern=$2 why=$3
  local hits
  hits=$(grep -rnE "^#include [<\"]($pattern)" "$dir" --include='*.h' --include='*.cc' 2>/dev/null || true)
  if [ -n "$hits" ]; then
    echo "layering: $why"
    echo "$hits" | sed 's/^/  /'
    fail=1
  fi
}

# forbid_in "FILES" PATTERN WHY: as forbid, for a list of files (a folder without its subfolders).
forbid_in() {
  local files=$1 pattern=$2 why=$3
  local hits
  # shellcheck disable=SC2086
  hits=$(grep -nHE "^#include [<\"]($pattern)" $files 2>/dev/null || true)
  if [ -n "$hits" ]; then
    echo "layering: $why"
    echo "$hits" | sed 's/^/  /'
    fail=1
  fi
}

forbid base     'log/|config/|catalog/|health/|dns/|api/|cmd/' "base/ is below everything: pure helpers"
forbid log      'config/|catalog/|health/|dns/|api/|cmd/' "log/ is the bottom layer"
forbid config   'catalog/|health/|dns/|api/|cmd/'         "config/ depends on nothing but log/"
forbid catalog  'health/|dns/|api/|cmd/'                  "catalog/ knows nothing of health checks, DNS, HTTP or the CLI"
forbid health   'dns/|api/|cmd/'                          "health/ reaches the catalog only through its model"
forbid dns      'health/|api/|cmd/'                       "dns/ knows nothing of health checks, HTTP or the CLI"
forbid api      'dns/|cmd/'                               "api/ knows nothing of the DNS server or the CLI"
# The DNS wire library stands alone: its own headers and the C++ standard library (whose
# headers have neither a directory nor an extension), nothing else: no other beacon module,
# no third-party library, no system header.
wire=$(grep -rnE '^#include ' dns/wire --include='*.h' --include='*.cc' 2>/dev/null |
       grep -vE ':#include ("dns/wire/[a-z_]+\.h"|<[a-z_]+>)' || true)
if [ -n "$wire" ]; then
  echo "layering: dns/wire/ includes only dns/wire/ and the C++ standard library:"; echo "$wire" | sed 's/^/  /'; fail=1
fi
for d in log catalog health dns api cmd; do forbid "$d" 'toml\+\+' "only config/ includes toml++"; done
for d in log config health dns api cmd catalog/etcd; do forbid "$d" 'sqlite3' "only catalog/sqlite/ includes SQLite"; done
# The catalog core (model, keyspace, codec, Store interface, replica, writer, change feed)
# needs only the JSON library; each store adapter lives in its own folder and library.
core=$(ls catalog/*.h catalog/*.cc)
forbid_in "$core" 'sqlite3|boost/|openssl/|catalog/sqlite/|catalog/etcd/' \
  "the catalog core includes no store adapter and no SQLite, Boost or OpenSSL"
forbid_in "$(ls catalog/sqlite/*)" 'boost/|openssl/|catalog/etcd/' "catalog/sqlite/ knows nothing of etcd"
forbid_in "$(ls catalog/etcd/*)" 'catalog/sqlite/' "catalog/etcd/ knows nothing of SQLite"
# The DNS and API modules and their tests run on the catalog core alone (MemoryStore in
# tests): no store adapter, hence no SQLite, OpenSSL or Beast through the catalog.
for d in dns api health tests/dns tests/api; do forbid "$d" 'catalog/sqlite/|catalog/etcd/' "$d/ uses no store adapter"; done
links=$(grep -nHE 'SQLITE|OPENSSL|beacon_catalog_sqlite|beacon_catalog_etcd' dns/CMakeLists.txt tests/dns/CMakeLists.txt api/CMakeLists.txt tests/api/CMakeLists.txt 2>/dev/null || true)
if [ -n "$links" ]; then
  echo "layering: the DNS and API libraries and their tests link no SQLite, OpenSSL or store adapter:"
  echo "$links" | sed 's/^/  /'; fail=1
fi
# Writes through one door: only catalog/ builds keyspace ops (catalog::Writer's plans).
ops=$(grep -rnE 'Op::Kind::|Op\{Op::' health dns api cmd --include='*.h' --include='*.cc' 2>/dev/null || true)
if [ -n "$ops" ]; then
  echo "layering: only catalog/ builds keyspace ops (use a catalog::Writer plan):"; echo "$ops" | sed 's/^/  /'; fail=1
fi
# cmd/ is wiring: the path of a commit (replica apply, zone builds) belongs to ChangeFeed and
# ZonePublisher.
wiring=$(grep -nE '\.apply\(|ZoneBuilder|\.build\(' cmd/*.cc cmd/*.h 2>/dev/null || true)
if [ -n "$wiring" ]; then
  echo "layering: cmd/ holds wiring only (replica applies and zone builds live below it):"; echo "$wiring" | sed 's/^/  /'; fail=1
fi
# The value checks other modules share are in base/ (addresses, durations, meta); config's own
# (domains, CIDRs, recursors, etcd endpoints) stay with the loader.
for d in catalog health dns api; do forbid "$d" 'config/validate\.h|config/loader\.h' "$d/ takes shared value checks from base/"; done
# The zone builder takes its own options (dns/zone_options.h), not the agent's Config.
forbid_in "dns/zone_builder.h dns/zone_publisher.h dns/service_builder.h" 'config/config\.h' "the zone builder takes ZoneOptions"
for d in log config health dns cmd; do forbid "$d" 'nlohmann' "only catalog/ and api/ include nlohmann json"; done
for d in log config catalog health dns api cmd; do forbid "$d" 'ldns/' "ldns stays in tests (the query path is hand-written)"; done
for d in log config catalog health api cmd; do forbid "$d" 'ares' "only dns/ (the recursor) includes c-ares"; done

# Every JSON parse is bounded (base/json_bounds.h): a raw nlohmann parse would let a deeply
# nested input reach the recursive encoder.
raw=$(grep -rnE 'json::parse\(|nlohmann::json::parse\(' log config catalog health dns api cmd --include='*.h' --include='*.cc' 2>/dev/null || true)
if [ -n "$raw" ]; then
  echo "layering: parse JSON with base::parse_bounded (or check_json_bounds first):"; echo "$raw" | sed 's/^/  /'; fail=1
fi

# Public headers must not leak the private third-party headers either.
leak=$(grep -lE '^#include [<"](toml\+\+|sqlite3|nlohmann)' config/*.h catalog/*.h catalog/*/*.h health/*.h api/*.h 2>/dev/null |
       grep -vE 'config/(toml_fields|decode)\.h|_impl\.h$' || true)
if [ -n "$leak" ]; then
  echo "layering: a public header includes a private dependency:"; echo "$leak" | sed 's/^/  /'; fail=1
fi

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
