// TTL checks: their status is whatever the last update_ttl() said, until the TTL runs out
// without one; then critical "TTL expired". The status, output and wall-clock deadline are
// kept in Options::ttl_state_file (health/ttl_state.h) so that a restart neither forgets a
// passing check nor extends its TTL: add() restores a record whose deadline has not passed
// and arms the timer for the time left.
#include "health/engine_impl.h"
#include "log/log.h"

namespace beacon::health {

namespace {

// Consul: "TTL expired (last output before timeout follows): <output>".
std::string expired_output(const std::string& last) {
  if (last.empty() || last.starts_with("TTL expired")) return last.empty() ? "TTL expired" : last;
  return "TTL expired (last output before timeout follows): " + last;
}

}  // namespace

void Engine::Impl::start_ttl(const std::shared_ptr<CheckRun>& run) {
  if (!ttl_loaded && !options.ttl_state_file.empty()) {
    ttl_records = load_ttl_state(options.ttl_state_file);
    ttl_loaded = true;
  }
  auto it = ttl_records.find(run->check.id);
  if (it == ttl_records.end()) {
    arm_ttl(run, run->def.ttl);
    return;
  }
  int64_t left = it->second.deadline_ms - clock.unix_ms();
  if (left > 0) {
    run->status = it->second.status;
    run->output = it->second.output;
    arm_ttl(run, Duration{left});
    return;
  }
  run->status = catalog::Health::critical;
  run->output = expired_output(it->second.output);
  if (it->second.status != catalog::Health::critical) {
    persist_ttl(run->check.id, TtlRecord{run->status, run->output, it->second.deadline_ms});
  }
}

void Engine::Impl::update_ttl(const std::shared_ptr<CheckRun>& run, catalog::Health status, std::string output) {
  arm_ttl(run, run->def.ttl);
  // Saved before set_status: StatusFn may remove the check, and then its record must stay gone.
  persist_ttl(run->check.id, TtlRecord{status, output, clock.unix_ms() + run->def.ttl.count()});
  set_status(run, status, std::move(output));
}

void Engine::Impl::arm_ttl(const std::shared_ptr<CheckRun>& run, Duration after) {
  uint64_t generation = ++run->timer_generation;
  run->timer->expires_after(after);
  run->timer->wait([this, run, generation](const boost::system::error_code& ec) {
    if (ec || run->stopped || generation != run->timer_generation) return;
    log::warn("health", "check ", run->check.id, ": TTL expired");
    std::string output = expired_output(run->output);
    persist_ttl(run->check.id, TtlRecord{catalog::Health::critical, output, clock.unix_ms()});
    set_status(run, catalog::Health::critical, std::move(output));
  });
}

void Engine::Impl::persist_ttl(const std::string& check_id, TtlRecord record) {
  if (options.ttl_state_file.empty()) return;
  ttl_records[check_id] = std::move(record);
  if (auto error = save_ttl_state(options.ttl_state_file, ttl_records); !error.empty()) {
    log::warn("health", "cannot save TTL state: ", error);
  }
}

void Engine::Impl::forget_ttl(const std::string& check_id) {
  if (ttl_records.erase(check_id) == 0 || options.ttl_state_file.empty()) return;
  if (auto error = save_ttl_state(options.ttl_state_file, ttl_records); !error.empty()) {
    log::warn("health", "cannot save TTL state: ", error);
  }
}

}  // namespace beacon::health
