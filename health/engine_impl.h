// Engine::Impl and the per-check state shared with the check's timers and coroutines.
// Internal to health/: engine.cc (registry), runner.cc (periodic checks), ttl.cc (TTL checks
// and their persistence) and reaper.cc (deregister_critical_service_after) implement it.
//
// Lifetime rule: every timer handler and coroutine holds a shared_ptr<CheckRun> and checks
// `stopped` after each wait before touching the engine. stop() sets it, cancels the timers
// and kills a running script, and the engine's destructor stops every check, so nothing
// reaches a freed Impl. All of this runs on the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <random>

#include "health/clock.h"
#include "health/engine.h"
#include "health/probe.h"
#include "health/thresholds.h"
#include "health/ttl_state.h"

namespace beacon::health {

inline constexpr Duration kMinInterval{1000};
inline constexpr Duration kDefaultTimeout{10000};
inline constexpr Duration kDefaultScriptTimeout{30000};

struct CheckRun {
  CheckRun(Clock& clock, boost::asio::io_context& io) : timer(clock.timer(io)), reap_timer(clock.timer(io)) {}

  catalog::Check check;  // id and service_id; status/output as they were at add()
  config::CheckConfig def;
  catalog::Health status = catalog::Health::critical;  // live
  std::string output;
  catalog::Health notified = catalog::Health::critical;  // what StatusFn (or the store) last saw
  Thresholds thresholds;
  std::unique_ptr<Timer> timer;       // next run, or the TTL's expiry
  std::unique_ptr<Timer> reap_timer;  // deregister_critical_service_after
  uint64_t timer_generation = 0;      // a fired timer whose generation is old is stale
  uint64_t reap_generation = 0;
  bool reap_armed = false;
  bool stopped = false;
  std::shared_ptr<ProbeCancel> cancel;  // the running probe's, if any
};

struct Engine::Impl {
  Impl(boost::asio::io_context& io, Clock& clock, Options options, StatusFn on_status, ReapFn on_reap);

  boost::asio::io_context& io;
  Clock& clock;  // all of the engine's time: intervals, TTLs, the reaper
  Options options;
  StatusFn on_status;
  ReapFn on_reap;
  std::map<std::string, std::shared_ptr<CheckRun>> checks;
  std::mt19937_64 rng;
  std::shared_ptr<boost::asio::ssl::context> tls_verify, tls_no_verify;  // made on first use
  TtlRecords ttl_records;
  bool ttl_loaded = false;

  // engine.cc
  void stop(CheckRun& run);
  void remove(const std::string& check_id);
  // Makes `status`/`output` live and calls StatusFn when the status differs from the last
  // one reported. May run user callbacks that add or remove checks.
  void set_status(const std::shared_ptr<CheckRun>& run, catalog::Health status, std::string output);
  void notify(const std::shared_ptr<CheckRun>& run);

  // runner.cc
  void start_periodic(const std::shared_ptr<CheckRun>& run);
  boost::asio::awaitable<void> run_periodic(std::shared_ptr<CheckRun> run);
  boost::asio::awaitable<ProbeResult> probe_once(std::shared_ptr<CheckRun> run);

  // ttl.cc
  void start_ttl(const std::shared_ptr<CheckRun>& run);
  void update_ttl(const std::shared_ptr<CheckRun>& run, catalog::Health status, std::string output);
  void arm_ttl(const std::shared_ptr<CheckRun>& run, Duration after);
  void persist_ttl(const std::string& check_id, TtlRecord record);
  void forget_ttl(const std::string& check_id);

  // reaper.cc: arms or disarms the reaper after a status change.
  void update_reaper(const std::shared_ptr<CheckRun>& run);
};

}  // namespace beacon::health
