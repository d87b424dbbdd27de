// beacon::log: leveled logging to stderr.
//
// One line per message: "2026-11-21T09:30:00.123Z [info] dns: listening on ...". The level
// is process-wide (set from `log_level` at start and on SIGHUP); set_level and the logging
// calls are thread-safe, and a line is written with one write(2) so lines never interleave.
// Messages are built by streaming the arguments: log::info("dns", "port ", port).
// Never log secrets: callers pass only what may be shown.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace beacon::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

// Parses "trace" | "debug" | "info" | "warn" | "error" (also "warning", "err"); false otherwise.
bool parse_level(std::string_view name, Level& out);
void set_level(Level level);
bool enabled(Level level);

// Writes one line if `level` is enabled. `module` is a short tag such as "dns".
void write(Level level, std::string_view module, std::string_view message);

template <typename... Args>
void logs(Level level, std::string_view module, const Args&... args) {
  if (!enabled(level)) return;
  std::ostringstream os;
  (os << ... << args);
  write(level, module, os.str());
}

template <typename... Args>
void debug(std::string_view module, const Args&... args) { logs(Level::debug, module, args...); }
template <typename... Args>
void info(std::string_view module, const Args&... args) { logs(Level::info, module, args...); }
template <typename... Args>
void warn(std::string_view module, const Args&... args) { logs(Level::warn, module, args...); }
template <typename... Args>
void error(std::string_view module, const Args&... args) { logs(Level::error, module, args...); }

}  // namespace beacon::log
