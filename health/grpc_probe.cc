// gRPC checks: grpc.health.v1.Health/Check over HTTP/2, in clear text with prior knowledge
// (h2c) or over TLS with ALPN "h2". One connection per run, as Consul dials one per check.
// GrpcCall (grpc_call.h) speaks HTTP/2 in memory; this file resolves, connects, does TLS,
// moves bytes under one deadline and turns the answer into Consul's output texts:
//   passing:      "gRPC check <target>: success"
//   not SERVING:  "gRPC <target> serving status: NOT_SERVING"
//   RPC failures: "rpc error: code = <Code> desc = <text>", as grpc-go prints them.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>

#include "base/address.h"
#include "health/grpc_call.h"
#include "health/grpc_wire.h"
#include "health/probe.h"

namespace beacon::health {

namespace asio = boost::asio;
namespace beast = boost::beast;
using catalog::Health;

namespace {

constexpr int64_t kInternal = 13, kUnavailable = 14;
constexpr std::string_view kPath = "/grpc.health.v1.Health/Check";

ProbeResult rpc_error(int64_t code, const std::string& desc) {
  return ProbeResult{Health::critical, "rpc error: code = " + grpc_wire::code_name(code) + " desc = " + desc};
}

ProbeResult deadline_exceeded() { return rpc_error(4, "context deadline exceeded"); }

bool is_timeout(const boost::system::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

// grpc-go's mapping of a non-200 HTTP status to a gRPC code (gRPC's http-grpc-status-mapping).
int64_t code_for_http_status(int status) {
  switch (status) {
    case 400: return kInternal;
    case 401: return 16;  // Unauthenticated
    case 403: return 7;   // PermissionDenied
    case 404: return 12;  // Unimplemented
    case 429:
    case 502:
    case 503:
    case 504: return kUnavailable;
  }
  return 2;  // Unknown
}

// Writes what the call has to send, reads what comes back, until the stream is done. Every
// operation is bounded by the deadline of the beast::tcp_stream underneath.
template <typename Stream>
asio::awaitable<void> converse(Stream& stream, GrpcCall& call, boost::system::error_code& ec) {
  std::array<char, 8192> buf;
  while (!call.done()) {
    std::string out = call.take_output();
    if (!out.empty()) {
      co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    if (call.done()) co_return;  // take_output() found the session dead
    size_t n = co_await stream.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) call.receive(std::string_view(buf.data(), n));
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      ec = {};
      call.eof();
    }
    if (ec) co_return;
  }
}

// The verdict on a finished call.
ProbeResult verdict(const GrpcCall& call, const std::string& target) {
  if (!call.failure().empty()) return rpc_error(call.failure_code(), call.failure());
  if (!call.grpc_status() && call.reset_code() != 0) {
    return rpc_error(kInternal, "stream terminated by RST_STREAM with error code: " + std::to_string(call.reset_code()));
  }
  if (call.http_status() != 200) {
    return rpc_error(code_for_http_status(call.http_status()),
                     "unexpected HTTP status code received from server: " + std::to_string(call.http_status()));
  }
  const std::string& type = call.content_type();
  if (type != "application/grpc" && !type.starts_with("application/grpc+") && !type.starts_with("application/grpc;")) {
    return rpc_error(kInternal, "transport: received unexpected content-type \"" + type + "\"");
  }
  if (!call.grpc_status()) return rpc_error(kInternal, "server closed the stream without sending trailers");
  if (*call.grpc_status() != 0) return rpc_error(*call.grpc_status(), call.grpc_message());
  if (!call.reader().complete()) return rpc_error(kInternal, "the server sent no response message");
  auto status = grpc_wire::decode_check_response(call.reader().message());
  if (!status) return rpc_error(kInternal, "grpc: failed to unmarshal the received message: malformed protobuf");
  if (*status != grpc_wire::kServing) {
    return ProbeResult{Health::critical, "gRPC " + target + " serving status: " + grpc_wire::serving_status_name(*status)};
  }
  return ProbeResult{Health::passing, "gRPC check " + target + ": success"};
}

}  // namespace

asio::awaitable<ProbeResult> probe_grpc(GrpcProbe p) {
  // "host:port/service": the service is everything after the first slash (as Consul's SplitN).
  std::string server = p.target, service;
  if (size_t slash = p.target.find('/'); slash != std::string::npos) {
    server = p.target.substr(0, slash);
    service = p.target.substr(slash + 1);
  }
  std::string host, port;
  if (!split_host_port(server, host, port)) co_return ProbeResult{Health::critical, "gRPC check " + p.target + ": invalid address"};

  const auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  auto endpoints = co_await resolve_within(host, port, p.timeout, ec);
  if (is_timeout(ec)) co_return deadline_exceeded();
  if (ec) co_return rpc_error(kUnavailable, "name resolver error: lookup " + host + ": " + ec.message());

  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_at(start + p.timeout);  // one deadline for connect, handshake and the call
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (is_timeout(ec)) co_return deadline_exceeded();
  if (ec) co_return rpc_error(kUnavailable, "connection error: dial tcp " + server + ": " + ec.message());
  boost::system::error_code ignored;
  stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);

  auto left = std::chrono::duration_cast<Duration>(start + p.timeout - std::chrono::steady_clock::now());
  GrpcCall call(server, p.use_tls, std::string(kPath), grpc_wire::encode_check_request(service),
                std::max<int64_t>(left.count(), 1));
  if (p.use_tls) {
    if (!p.tls) p.tls = make_tls_context(true);
    asio::ssl::stream<beast::tcp_stream&> tls(stream, *p.tls);
    const std::string& name = p.server_name.empty() ? host : p.server_name;
    if (!base::is_ip_literal(name)) SSL_set_tlsext_host_name(tls.native_handle(), name.c_str());
    static constexpr unsigned char kAlpn[] = {2, 'h', '2'};
    SSL_set_alpn_protos(tls.native_handle(), kAlpn, sizeof kAlpn);
    if (SSL_CTX_get_verify_mode(p.tls->native_handle()) & SSL_VERIFY_PEER) {
      tls.set_verify_callback(asio::ssl::host_name_verification(name), ec);
    }
    co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (is_timeout(ec)) co_return deadline_exceeded();
    if (ec) co_return rpc_error(kUnavailable, "connection error: TLS handshake failed: " + ec.message());
    const unsigned char* proto = nullptr;
    unsigned int proto_len = 0;
    SSL_get0_alpn_selected(tls.native_handle(), &proto, &proto_len);
    if (proto_len != 0 && std::string_view(reinterpret_cast<const char*>(proto), proto_len) != "h2") {
      co_return rpc_error(kUnavailable, "connection error: the server chose ALPN protocol \"" +
                                            std::string(reinterpret_cast<const char*>(proto), proto_len) +
                                            "\" instead of h2");
    }
    co_await converse(tls, call, ec);
  } else {
    co_await converse(stream, call, ec);
  }
  stream.socket().close(ignored);
  if (is_timeout(ec)) co_return deadline_exceeded();
  if (ec && call.failure().empty()) co_return rpc_error(kUnavailable, "error reading from server: " + ec.message());
  co_return verdict(call, p.target);
}

}  // namespace beacon::health
