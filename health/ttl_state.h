// The TTL checks' state kept across restarts: for each check id its last status, output and
// the wall-clock deadline (unix milliseconds) at which its TTL runs out. Internal to health/.
//
// The file is text, one check per line, tab-separated, with '\\', '\t' and '\n' escaped:
//   beacon-ttl-state 1
//   <check id>\t<status>\t<deadline unix ms>\t<output>
// It is small (one line per TTL check) and rewritten whole on every TTL update, atomically:
// written to "<file>.tmp", fsynced, renamed over the file, and the folder fsynced.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "catalog/model.h"

namespace beacon::health {

struct TtlRecord {
  catalog::Health status = catalog::Health::critical;
  std::string output;
  int64_t deadline_ms = 0;  // unix time in milliseconds
};

using TtlRecords = std::map<std::string, TtlRecord>;

// Reads `path`. A missing file gives no records; malformed lines are skipped (the file is a
// cache of state the checks' owners will refresh, not a source of truth).
TtlRecords load_ttl_state(const std::string& path);

// Replaces `path` with `records`. Returns an empty string on success, else the reason.
std::string save_ttl_state(const std::string& path, const TtlRecords& records);

}  // namespace beacon::health
