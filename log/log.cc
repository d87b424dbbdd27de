#include "log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace beacon::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};  // the one process-wide setting
const char* kNames[] = {"trace", "debug", "info", "warn", "error"};
}  // namespace

bool parse_level(std::string_view name, Level& out) {
  for (int i = 0; i < 5; ++i)
    if (name == kNames[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  if (name == "warning") { out = Level::warn; return true; }
  if (name == "err") { out = Level::error; return true; }
  return false;
}

void set_level(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }
bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view module, std::string_view message) {
  if (!enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  std::string line;
  line.reserve(64 + message.size());
  line += stamp;
  line += " [";
  line += kNames[static_cast<int>(level)];
  line += "] ";
  line += module;
  line += ": ";
  line += message;
  line += '\n';
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace beacon::log
