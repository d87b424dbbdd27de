// Helpers shared by the probes: cancel hooks, Go-style durations, host:port, bounded lookups.
#include "health/probe.h"

#include <cstdlib>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/address.h"

namespace beacon::health {

namespace asio = boost::asio;
using asio::ip::tcp;

void ProbeCancel::set(std::function<void()> hook) {
  if (cancelled_) {
    hook();
    return;
  }
  hook_ = std::move(hook);
}

void ProbeCancel::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (hook_) {
    auto hook = std::move(hook_);
    hook_ = nullptr;
    hook();
  }
}

std::string go_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);  // "050"
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

bool split_host_port(const std::string& target, std::string& host, std::string& port) {
  if (!base::check_host_port(target, false)) return false;
  size_t colon = target.rfind(':');
  host = target.substr(0, colon);
  port = target.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return true;
}

asio::awaitable<tcp::resolver::results_type> resolve_within(const std::string& host, const std::string& port,
                                                            Duration timeout, boost::system::error_code& ec) {
  // Asio's lookups run getaddrinfo on a private thread, and cancel() does not interrupt one
  // in progress: wait on a timer that the lookup's handler cancels, and walk away from the
  // lookup when the timer fires first.
  struct Lookup {
    explicit Lookup(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}
    tcp::resolver resolver;
    asio::steady_timer timer;
    bool done = false;
    boost::system::error_code ec;
    tcp::resolver::results_type results;
  };
  // An IP literal needs no lookup: skipping the resolver thread's round trip is most of the
  // CPU saved per probe when thousands of checks target addresses (bench/health.sh).
  if (base::is_ip_literal(host)) {
    boost::system::error_code parse_ec;
    auto address = asio::ip::make_address(host, parse_ec);
    char* end = nullptr;
    unsigned long port_number = std::strtoul(port.c_str(), &end, 10);
    if (!parse_ec && end && *end == '\0' && port_number <= 65535) {
      ec = {};
      co_return tcp::resolver::results_type::create(tcp::endpoint(address, static_cast<uint16_t>(port_number)), host,
                                                    port);
    }
  }
  auto ex = co_await asio::this_coro::executor;
  auto lookup = std::make_shared<Lookup>(ex);
  auto flags = tcp::resolver::numeric_service;
  if (base::is_ip_literal(host)) flags |= tcp::resolver::numeric_host;
  lookup->timer.expires_after(timeout);
  lookup->resolver.async_resolve(host, port, flags,
                                 [lookup](const boost::system::error_code& e, tcp::resolver::results_type r) {
                                   lookup->done = true;
                                   lookup->ec = e;
                                   lookup->results = std::move(r);
                                   lookup->timer.cancel();
                                 });
  boost::system::error_code wait_ec;
  co_await lookup->timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
  if (!lookup->done) {
    lookup->resolver.cancel();
    ec = asio::error::timed_out;
    co_return tcp::resolver::results_type{};
  }
  ec = lookup->ec;
  co_return lookup->results;
}

}  // namespace beacon::health
