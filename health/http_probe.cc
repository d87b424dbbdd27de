// HTTP and HTTPS checks with Beast, one connection per run ("Connection: close", as Consul
// turns keep-alives off). Redirects are not followed: a 3xx is critical (Consul follows up to
// ten; see README). Only the first output_max bytes of the body are read.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

#include "base/address.h"
#include "health/probe.h"

namespace beacon::health {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Url {
  bool https = false;
  std::string host;       // without brackets
  std::string port;
  std::string authority;  // the Host header: host[:port] as written
  std::string target;     // path and query, at least "/"
};

std::optional<Url> parse_url(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url.https = true;
    rest.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  url.authority = authority;
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  url.host = host;
  url.port = port.empty() ? (url.https ? "443" : "80") : std::string(port);
  if (size_t hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  url.target = tail.empty() ? "/" : tail.starts_with('?') ? "/" + std::string(tail) : std::string(tail);
  return url;
}

bool has_header(const HttpProbe& p, beast::string_view name) {
  for (const auto& [key, values] : p.header) {
    if (beast::iequals(key, name) && !values.empty()) return true;
  }
  return false;
}

http::request<http::string_body> build_request(const HttpProbe& p, const Url& url) {
  http::request<http::string_body> req;
  req.method_string(p.method);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.authority);
  for (const auto& [name, values] : p.header) {
    if (beast::iequals(name, "Host") && !values.empty()) {
      req.set(http::field::host, values.front());  // as Go's client: Host overrides the URL's
      continue;
    }
    for (const std::string& value : values) req.insert(name, value);
  }
  if (!has_header(p, "User-Agent")) req.set(http::field::user_agent, "Consul Health Check");
  if (!has_header(p, "Accept")) req.set(http::field::accept, "text/plain, text/*, */*");
  req.set(http::field::connection, "close");
  req.body() = p.body;
  if (!p.body.empty()) req.prepare_payload();
  return req;
}

struct Response {
  unsigned status = 0;
  std::string reason;
  std::string body;
};

// Writes the request and reads the status line, headers and up to `max` bytes of body. A
// failure while reading the body keeps what was read: the status is what matters.
template <typename Stream>
asio::awaitable<Response> exchange(Stream& stream, http::request<http::string_body>& req, size_t max,
                                   boost::system::error_code& ec) {
  Response out;
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  out.status = parser.get().result_int();
  out.reason = std::string(parser.get().reason());
  if (out.reason.empty()) out.reason = std::string(http::obsolete_reason(parser.get().result()));
  char chunk[4096];
  while (!parser.is_done() && out.body.size() < max) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    boost::system::error_code body_ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, body_ec));
    out.body.append(chunk, sizeof chunk - parser.get().body().size);
    if (body_ec && body_ec != http::error::need_buffer) break;
  }
  if (out.body.size() > max) out.body.resize(max);
  co_return out;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(bool verify) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3);
  boost::system::error_code ec;
  if (verify) {
    ctx->set_default_verify_paths(ec);  // without CAs every verification fails, as it should
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  return ctx;
}

asio::awaitable<ProbeResult> probe_http(HttpProbe p) {
  using catalog::Health;
  const std::string what = "HTTP " + p.method + " " + p.url;
  auto url = parse_url(p.url);
  if (!url) co_return ProbeResult{Health::critical, what + ": invalid URL"};

  auto start = std::chrono::steady_clock::now();
  auto failed = [&](const boost::system::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::timed_out) {
      return ProbeResult{Health::critical, what + ": timed out after " + go_duration(p.timeout)};
    }
    return ProbeResult{Health::critical, what + ": " + ec.message()};
  };
  boost::system::error_code ec;
  auto endpoints = co_await resolve_within(url->host, url->port, p.timeout, ec);
  if (ec) co_return failed(ec);

  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_at(start + p.timeout);  // one deadline for connect, handshake and exchange
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(ec);

  auto req = build_request(p, *url);
  Response resp;
  if (url->https) {
    if (!p.tls) p.tls = make_tls_context(true);
    asio::ssl::stream<beast::tcp_stream&> tls(stream, *p.tls);
    if (!base::is_ip_literal(url->host)) SSL_set_tlsext_host_name(tls.native_handle(), url->host.c_str());
    if (SSL_CTX_get_verify_mode(p.tls->native_handle()) & SSL_VERIFY_PEER) {
      tls.set_verify_callback(asio::ssl::host_name_verification(url->host), ec);
    }
    co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(ec);
    resp = co_await exchange(tls, req, p.output_max, ec);
  } else {
    resp = co_await exchange(stream, req, p.output_max, ec);
  }
  if (ec) co_return failed(ec);
  stream.socket().close(ec);

  Health status = resp.status >= 200 && resp.status < 300 ? Health::passing
                  : resp.status == 429                    ? Health::warning
                                                          : Health::critical;
  co_return ProbeResult{status, what + ": " + std::to_string(resp.status) + " " + resp.reason + " Output: " + resp.body};
}

}  // namespace beacon::health
