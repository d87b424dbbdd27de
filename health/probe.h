// The probes behind beacon::health::Engine: one coroutine per check kind, each returning
// the raw result of one run (before thresholds). Internal to health/.
//
// Every probe finishes within its timeout (a DNS lookup that hangs is abandoned, not waited
// for) and never throws for I/O failures: those are critical results with Consul-like output.
// Probes run on the executor of the coroutine that awaits them. A probe that owns something
// outside the process (the script probe's process group) installs a hook in its ProbeCancel
// so that the engine can stop it when the check is removed.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "config/config.h"

namespace boost::asio::ssl {
class context;
}

namespace beacon::health {

using config::Duration;

struct ProbeResult {
  catalog::Health status = catalog::Health::critical;
  std::string output;
};

// Lets the engine stop a running probe. cancel() runs the installed hook once; a hook
// installed after cancel() runs at once.
class ProbeCancel {
 public:
  void set(std::function<void()> hook);
  void clear() { hook_ = nullptr; }
  void cancel();
  bool cancelled() const { return cancelled_; }

 private:
  std::function<void()> hook_;
  bool cancelled_ = false;
};

// Go's time.Duration.String() for whole milliseconds: "30s", "1.5s", "250ms", "1m30s".
std::string go_duration(Duration d);

// Splits "host:port" or "[v6]:port" (a "/path" suffix already removed). False when malformed.
bool split_host_port(const std::string& target, std::string& host, std::string& port);

// Resolves host and port, giving up after `timeout` (the lookup is left to finish in the
// background). Returns the endpoints, or an error (boost::asio::error::timed_out on timeout).
boost::asio::awaitable<boost::asio::ip::tcp::resolver::results_type> resolve_within(
    const std::string& host, const std::string& port, Duration timeout, boost::system::error_code& ec);

struct HttpProbe {
  std::string url;
  std::string method = "GET";
  std::map<std::string, std::vector<std::string>> header;
  std::string body;
  Duration timeout{10000};
  size_t output_max = 4096;
  std::shared_ptr<boost::asio::ssl::context> tls;  // for https://; see make_tls_context
};
// A client TLS context: system CA paths and peer verification, or no verification.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(bool verify);
// 2xx passing, 429 warning, any other status or a failure critical.
// Output "HTTP GET <url>: 200 OK Output: <body cut to output_max>".
boost::asio::awaitable<ProbeResult> probe_http(HttpProbe probe);

struct GrpcProbe {
  std::string target;       // "host:port" or "host:port/service"
  bool use_tls = false;     // TLS with ALPN h2; otherwise h2c with prior knowledge
  std::string server_name;  // TLS: SNI and the name verified; empty: the target's host
  Duration timeout{10000};
  std::shared_ptr<boost::asio::ssl::context> tls;  // for use_tls; see make_tls_context
};
// Calls grpc.health.v1.Health/Check: SERVING is passing; any other status, a non-zero
// grpc-status, no connection, a TLS failure or the timeout is critical. Output as Consul's:
// "gRPC check <target>: success", "gRPC <target> serving status: NOT_SERVING",
// "rpc error: code = Unavailable desc = ...".
boost::asio::awaitable<ProbeResult> probe_grpc(GrpcProbe probe);

// Passing when a connection to `target` ("host:port") opens within the timeout.
boost::asio::awaitable<ProbeResult> probe_tcp(std::string target, Duration timeout);

// Sends one datagram to `target`: passing when it is sent and no error (such as an ICMP port
// unreachable) comes back within the timeout, critical otherwise.
boost::asio::awaitable<ProbeResult> probe_udp(std::string target, Duration timeout);

// Runs `args` in its own process group: exit 0 passing, 1 warning, anything else critical.
// On timeout (or cancel) the whole group gets SIGKILL. Output is the last output_max bytes
// of stdout and stderr together.
boost::asio::awaitable<ProbeResult> probe_script(std::vector<std::string> args, Duration timeout,
                                                 size_t output_max, std::shared_ptr<ProbeCancel> cancel);

}  // namespace beacon::health
