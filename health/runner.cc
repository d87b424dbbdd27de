// Periodic checks (HTTP, TCP, UDP, gRPC, script): one coroutine per check that sleeps, probes and
// feeds the result through the thresholds. The first run comes at a random moment within the
// interval, so that checks registered together do not probe together; later runs start one
// interval after the previous run finished, as in Consul.
#include <algorithm>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "health/engine_impl.h"
#include "log/log.h"

namespace beacon::health {

namespace asio = boost::asio;
using Kind = config::CheckConfig::Kind;

void Engine::Impl::start_periodic(const std::shared_ptr<CheckRun>& run) {
  asio::co_spawn(io, run_periodic(run), asio::detached);
}

asio::awaitable<void> Engine::Impl::run_periodic(std::shared_ptr<CheckRun> run) {
  if (run->stopped) co_return;  // co_spawn starts the coroutine later, from the io_context
  // Consul raises intervals below MinInterval (1s) rather than refusing them.
  const Duration interval = std::max(run->def.interval, kMinInterval);
  Duration delay{std::uniform_int_distribution<int64_t>(0, interval.count() - 1)(rng)};
  while (true) {
    run->timer->expires_after(delay);
    boost::system::error_code ec;
    co_await run->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (run->stopped) co_return;  // `this` may be gone: touch nothing but `run`

    ProbeResult result;
    try {
      result = co_await probe_once(run);
    } catch (const std::exception& e) {
      result = ProbeResult{catalog::Health::critical, std::string("internal error: ") + e.what()};
    }
    run->cancel.reset();
    if (run->stopped) co_return;

    if (auto status = run->thresholds.observe(result.status)) {
      set_status(run, *status, std::move(result.output));
      if (run->stopped) co_return;  // StatusFn removed or replaced this check
    } else {
      log::debug("health", "check ", run->check.id, " held back by thresholds: ", catalog::health_name(result.status));
    }
    delay = interval;
  }
}

asio::awaitable<ProbeResult> Engine::Impl::probe_once(std::shared_ptr<CheckRun> run) {
  const config::CheckConfig& def = run->def;
  const Duration timeout = def.timeout.count() > 0 ? def.timeout : kDefaultTimeout;
  const size_t output_max = options.output_max_size;
  switch (def.kind) {
    case Kind::http: {
      auto& tls = def.tls_skip_verify ? tls_no_verify : tls_verify;
      if (def.http.starts_with("https://") && !tls) tls = make_tls_context(!def.tls_skip_verify);
      HttpProbe p{def.http, def.method, def.header, def.body, timeout, output_max, tls};
      co_return co_await probe_http(std::move(p));
    }
    case Kind::tcp:
      co_return co_await probe_tcp(def.tcp, timeout);
    case Kind::udp:
      co_return co_await probe_udp(def.udp, timeout);
    case Kind::script: {
      run->cancel = std::make_shared<ProbeCancel>();
      const Duration script_timeout = def.timeout.count() > 0 ? def.timeout : kDefaultScriptTimeout;
      co_return co_await probe_script(def.args, script_timeout, output_max, run->cancel);
    }
    case Kind::grpc: {
      std::shared_ptr<asio::ssl::context> tls;
      if (def.grpc_use_tls) {
        auto& ctx = def.tls_skip_verify ? tls_no_verify : tls_verify;
        if (!ctx) ctx = make_tls_context(!def.tls_skip_verify);
        tls = ctx;
      }
      // A named object, not a braced temporary in the co_await: GCC 12 destroys such a
      // temporary twice in a coroutine (as HttpProbe above).
      GrpcProbe p{def.grpc, def.grpc_use_tls, def.tls_server_name, timeout, tls};
      co_return co_await probe_grpc(std::move(p));
    }
    case Kind::ttl:
      break;
  }
  co_return ProbeResult{catalog::Health::critical, "not a periodic check"};
}

}  // namespace beacon::health
