// The registry of running checks: add/replace/remove, TTL updates, live state, and the one
// place where statuses are published (set_status).
#include "health/engine.h"

#include <boost/asio/post.hpp>

#include "health/engine_impl.h"
#include "log/log.h"

namespace beacon::health {

namespace asio = boost::asio;
using catalog::Health;

Engine::Impl::Impl(asio::io_context& io_, Clock& clock_, Options options_, StatusFn on_status_, ReapFn on_reap_)
    : io(io_),
      clock(clock_),
      options(std::move(options_)),
      on_status(std::move(on_status_)),
      on_reap(std::move(on_reap_)),
      rng(std::random_device{}()) {}

void Engine::Impl::stop(CheckRun& run) {
  run.stopped = true;
  run.timer->cancel();
  run.reap_timer->cancel();
  if (run.cancel) run.cancel->cancel();
}

void Engine::Impl::remove(const std::string& check_id) {
  auto it = checks.find(check_id);
  if (it == checks.end()) return;
  std::shared_ptr<CheckRun> run = it->second;
  checks.erase(it);
  stop(*run);
  if (run->def.kind == config::CheckConfig::Kind::ttl) forget_ttl(check_id);
}

void Engine::Impl::set_status(const std::shared_ptr<CheckRun>& run, Health status, std::string output) {
  bool changed = run->status != status;
  run->status = status;
  run->output = std::move(output);
  if (changed) update_reaper(run);
  notify(run);
}

void Engine::Impl::notify(const std::shared_ptr<CheckRun>& run) {
  if (run->stopped || run->status == run->notified) return;
  run->notified = run->status;
  log::info("health", "check ", run->check.id, " is now ", catalog::health_name(run->status));
  if (!on_status) return;
  // Copies: the callback may remove this check or replace it.
  std::string id = run->check.id, output = run->output;
  on_status(id, run->status, output);
}

Engine::Engine(asio::io_context& io, Options options, StatusFn on_status, ReapFn on_reap, Clock& clock)
    : impl_(std::make_unique<Impl>(io, clock, std::move(options), std::move(on_status), std::move(on_reap))) {}

Engine::~Engine() {
  for (auto& [id, run] : impl_->checks) impl_->stop(*run);
}

std::expected<void, Error> Engine::add(const catalog::Check& check, const config::CheckConfig& def) {
  using Kind = config::CheckConfig::Kind;
  auto unsupported = [](std::string m) { return std::unexpected(Error{Error::Code::unsupported, std::move(m)}); };
  auto invalid = [](std::string m) { return std::unexpected(Error{Error::Code::invalid, std::move(m)}); };
  if (check.id.empty()) return invalid("a check needs an ID");
  switch (def.kind) {
    case Kind::script:
      if (!impl_->options.enable_script_checks) {
        return unsupported("script checks are disabled; set enable_local_script_checks = true to run them");
      }
      if (def.args.empty()) return invalid("a script check needs args");
      break;
    case Kind::ttl:
      if (def.ttl.count() <= 0) return invalid("a TTL check needs a TTL");
      break;
    case Kind::http:
    case Kind::tcp:
    case Kind::udp:
    case Kind::grpc:
      break;
  }
  if (def.kind != Kind::ttl && def.interval.count() <= 0) return invalid("a periodic check needs an interval");

  if (auto it = impl_->checks.find(check.id); it != impl_->checks.end()) {
    impl_->stop(*it->second);  // its TTL record stays: the new one restores from it
    impl_->checks.erase(it);
  }
  auto run = std::make_shared<CheckRun>(impl_->clock, impl_->io);
  run->check = check;
  run->def = def;
  run->status = check.status;
  run->output = check.output;
  run->notified = check.status;
  run->thresholds = Thresholds(def.success_before_passing, def.failures_before_warning, def.failures_before_critical);
  impl_->checks[check.id] = run;
  if (def.kind == Kind::ttl) {
    impl_->start_ttl(run);
  } else {
    impl_->start_periodic(run);
  }
  impl_->update_reaper(run);
  // A restored TTL status is reported after add() returns, never from inside it.
  if (run->status != run->notified) {
    asio::post(impl_->io, [impl = impl_.get(), run] {
      if (!run->stopped) impl->notify(run);
    });
  }
  return {};
}

void Engine::remove(const std::string& check_id) { impl_->remove(check_id); }

bool Engine::has(const std::string& check_id) const { return impl_->checks.contains(check_id); }

std::vector<std::string> Engine::check_ids() const {
  std::vector<std::string> ids;
  ids.reserve(impl_->checks.size());
  for (const auto& [id, run] : impl_->checks) ids.push_back(id);
  return ids;
}

std::expected<void, Error> Engine::update_ttl(const std::string& check_id, Health status, std::string output) {
  auto it = impl_->checks.find(check_id);
  if (it == impl_->checks.end()) {
    return std::unexpected(Error{Error::Code::not_found, "unknown check \"" + check_id + "\""});
  }
  if (it->second->def.kind != config::CheckConfig::Kind::ttl) {
    return std::unexpected(Error{Error::Code::invalid, "check \"" + check_id + "\" is not a TTL check"});
  }
  std::shared_ptr<CheckRun> run = it->second;
  impl_->update_ttl(run, status, std::move(output));
  return {};
}

std::optional<Engine::State> Engine::state(const std::string& check_id) const {
  auto it = impl_->checks.find(check_id);
  if (it == impl_->checks.end()) return std::nullopt;
  return State{it->second->status, it->second->output};
}

void Engine::set_options(const Options& options) { impl_->options = options; }

size_t Engine::size() const { return impl_->checks.size(); }

}  // namespace beacon::health
