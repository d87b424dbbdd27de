// deregister_critical_service_after: when a service check turns critical a timer starts; if
// the check is still critical when it fires, the engine stops the check and calls ReapFn
// once for its service. Leaving critical disarms it. Unlike Consul there is no 1-minute
// minimum and no 30-second reaper sweep: the timer fires at the configured moment, which
// keeps tests short. A node-level check (no service) is never reaped.
#include "health/engine_impl.h"
#include "log/log.h"

namespace beacon::health {

void Engine::Impl::update_reaper(const std::shared_ptr<CheckRun>& run) {
  const auto after = run->def.deregister_critical_service_after;
  bool want = run->status == catalog::Health::critical && after.count() > 0 && !run->check.service_id.empty();
  if (want == run->reap_armed) return;
  run->reap_armed = want;
  uint64_t generation = ++run->reap_generation;
  if (!want) {
    run->reap_timer->cancel();
    return;
  }
  run->reap_timer->expires_after(after);
  run->reap_timer->wait([this, run, generation](const boost::system::error_code& ec) {
    if (ec || run->stopped || generation != run->reap_generation || run->status != catalog::Health::critical) return;
    std::string service_id = run->check.service_id;
    log::info("health", "check ", run->check.id, " critical for ", go_duration(run->def.deregister_critical_service_after),
              ": deregistering service ", service_id);
    remove(run->check.id);
    if (on_reap) on_reap(service_id);
  });
}

}  // namespace beacon::health
