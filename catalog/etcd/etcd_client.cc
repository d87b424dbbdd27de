// etcd::Client (catalog/etcd/etcd_client.h): blocking HTTP/1.1 to etcd's JSON gateway.
//
// Beast's asynchronous operations on a private io_context, run to completion per step, give
// every connect, handshake, write and read a deadline (tcp_stream::expires_after) without a
// thread per request. The connection is kept alive between calls.
#include "catalog/etcd/etcd_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/json_bounds.h"

namespace beacon::catalog::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

struct Endpoint {
  bool https = false;
  std::string host;  // without brackets
  std::string port;
  std::string text;
};

std::optional<Endpoint> parse_endpoint(const std::string& url) {
  Endpoint e;
  e.text = url;
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    e.https = true;
    rest.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = rest.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  e.host = std::string(host);
  e.port = std::string(rest.substr(colon + 1));
  if (e.host.empty() || e.port.empty()) return std::nullopt;
  return e;
}

Error unavailable(std::string message) { return Error{Error::Code::unavailable, std::move(message)}; }

// Turns a gateway error body ({"error": ..., "code": N, "message": ...}) into an Error.
Error reply_error(unsigned status, const std::string& body, const std::string& endpoint) {
  std::string message;
  int code = -1;
  auto doc = base::parse_bounded<json>(body);
  if (doc.is_object()) {
    if (doc.contains("message") && doc["message"].is_string()) message = doc["message"].get<std::string>();
    if (message.empty() && doc.contains("error") && doc["error"].is_string()) message = doc["error"].get<std::string>();
    if (doc.contains("code") && doc["code"].is_number_integer()) code = doc["code"].get<int>();
  }
  if (message.empty()) message = "HTTP " + std::to_string(status) + " " + body.substr(0, 200);
  message = "etcd " + endpoint + ": " + message;
  // gRPC codes: 4 deadline exceeded, 14 unavailable; etcd's "no leader" and "request timed
  // out" are both about quorum.
  // 8: resource exhausted (etcd's space quota is full: no writes until an operator acts).
  if (code == 4 || code == 8 || code == 14 || status == 503 || message.find("no leader") != std::string::npos ||
      message.find("timed out") != std::string::npos || message.find("leader changed") != std::string::npos)
    return unavailable(std::move(message));
  if (code == 3) return Error{Error::Code::invalid, std::move(message)};
  return Error{Error::Code::io, std::move(message)};
}

// How much an error says about the cluster: an election in progress beats a member that did
// not answer, which beats a refused connection (a dead member says nothing about the rest).
int weight(const Error& e) {
  if (e.message.find("no leader") != std::string::npos || e.message.find("leader changed") != std::string::npos)
    return 3;
  if (e.message.find("no reply") != std::string::npos || e.message.find("timed out") != std::string::npos) return 2;
  return e.code == Error::Code::unavailable ? 1 : 4;
}

void keep_worst(std::optional<Error>& kept, const Error& e) {
  if (!kept || weight(e) >= weight(*kept)) kept = e;
}

bool is_auth_failure(const std::string& body) {
  return body.find("invalid auth token") != std::string::npos ||
         body.find("user name is empty") != std::string::npos ||
         body.find("\"code\":16") != std::string::npos;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::vector<Endpoint> endpoints;
  size_t current = 0;
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls_ctx;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::string token;
  bool streaming = false;
  // Every step of one call() (all endpoints tried) or of a stream's set-up ends by then.
  std::chrono::steady_clock::time_point deadline;
  mutable std::mutex endpoint_mu;  // guards `current` for endpoint() from other threads

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  bool connected() const { return plain || tls; }

  void close() {
    boost::system::error_code ec;
    if (tls) beast::get_lowest_layer(*tls).socket().close(ec);
    if (plain) plain->socket().close(ec);
    tls.reset();
    plain.reset();
    buffer.clear();
    token.clear();
  }

  void next_endpoint() {
    std::lock_guard lock(endpoint_mu);
    current = (current + 1) % endpoints.size();
  }

  // Runs the operations started on ioc to completion.
  void run() {
    ioc.restart();
    ioc.run();
  }

  std::expected<void, Error> connect() {
    if (connected()) return {};
    const Endpoint& ep = endpoints[current];
    boost::system::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(ep.host, ep.port, ec);
    if (ec) return std::unexpected(unavailable("etcd " + ep.text + ": cannot resolve " + ep.host + ": " + ec.message()));
    std::unique_ptr<beast::tcp_stream> stream;
    if (ep.https) {
      if (!tls_ctx) {
        auto made = make_tls_context();
        if (!made) return std::unexpected(made.error());
      }
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, *tls_ctx);
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
    tcp().expires_at(deadline);
    ec = asio::error::would_block;
    tcp().async_connect(results, [&](const boost::system::error_code& e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) {
      close();
      return std::unexpected(unavailable("etcd " + ep.text + ": cannot connect: " + ec.message()));
    }
    // Notice a silently dead peer (no FIN) within about 10 s even on an idle watch.
    int on = 1, idle = 4, interval = 2, count = 3;
    int fd = tcp().socket().native_handle();
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (tls) {
      boost::system::error_code sni_ec;
      boost::system::error_code addr_ec;
      asio::ip::make_address(ep.host, addr_ec);
      if (addr_ec) SSL_set_tlsext_host_name(tls->native_handle(), ep.host.c_str());
      tls->set_verify_callback(asio::ssl::host_name_verification(ep.host), sni_ec);
      ec = asio::error::would_block;
      tls->async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) { ec = e; });
      run();
      if (ec) {
        close();
        return std::unexpected(unavailable("etcd " + ep.text + ": TLS handshake failed: " + ec.message()));
      }
    }
    if (!options.username.empty()) {
      json body = {{"name", options.username}, {"password", options.password}};
      auto reply = exchange("/v3/auth/authenticate", body.dump(), false);
      if (!reply) {
        close();
        return std::unexpected(reply.error());
      }
      auto doc = base::parse_bounded<json>(*reply);
      if (!doc.is_object() || !doc.contains("token") || !doc["token"].is_string()) {
        close();
        return std::unexpected(Error{Error::Code::io, "etcd " + ep.text + ": authentication gave no token"});
      }
      token = doc["token"].get<std::string>();
    }
    return {};
  }

  std::expected<void, Error> make_tls_context() {
    tls_ctx.emplace(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    tls_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3);
    if (!options.ca_file.empty()) {
      tls_ctx->load_verify_file(options.ca_file, ec);
    } else {
      tls_ctx->set_default_verify_paths(ec);
    }
    if (ec) return fail_tls("cannot load the CA file " + options.ca_file + ": " + ec.message());
    if (!options.cert_file.empty()) {
      tls_ctx->use_certificate_chain_file(options.cert_file, ec);
      if (ec) return fail_tls("cannot load the certificate " + options.cert_file + ": " + ec.message());
      tls_ctx->use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
      if (ec) return fail_tls("cannot load the key " + options.key_file + ": " + ec.message());
    }
    tls_ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    return {};
  }

  std::expected<void, Error> fail_tls(std::string message) {
    tls_ctx.reset();
    return std::unexpected(Error{Error::Code::io, "etcd TLS: " + std::move(message)});
  }

  http::request<http::string_body> request(std::string_view path, const std::string& body, bool with_token) {
    const Endpoint& ep = endpoints[current];
    http::request<http::string_body> req{http::verb::post, std::string(path), 11};
    req.set(http::field::host, ep.host + ":" + ep.port);
    req.set(http::field::content_type, "application/json");
    req.set("Grpc-Metadata-hasleader", "true");
    if (with_token && !token.empty()) req.set(http::field::authorization, token);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    return req;
  }

  template <class Op>
  boost::system::error_code run_on_stream(Op op) {
    boost::system::error_code ec = asio::error::would_block;
    auto done = [&](const boost::system::error_code& e, std::size_t) { ec = e; };
    if (tls) {
      op(*tls, done);
    } else {
      op(*plain, done);
    }
    run();
    return ec;
  }

  // One request and its whole reply on the open connection.
  std::expected<std::string, Error> exchange(std::string_view path, const std::string& body, bool with_token) {
    const std::string& where = endpoints[current].text;
    auto req = request(path, body, with_token);
    tcp().expires_at(deadline);
    auto ec = run_on_stream([&](auto& s, auto done) { http::async_write(s, req, done); });
    if (ec) return std::unexpected(unavailable("etcd " + where + ": " + ec.message()));
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    ec = run_on_stream([&](auto& s, auto done) { http::async_read(s, buffer, parser, done); });
    if (ec) {
      return std::unexpected(unavailable("etcd " + where + ": " +
                                         (ec == beast::error::timeout ? "no reply within the request timeout"
                                                                      : ec.message())));
    }
    auto& res = parser.get();
    if (!res.keep_alive()) close_after_ = true;
    if (res.result() != http::status::ok) return std::unexpected(reply_error(res.result_int(), res.body(), where));
    return std::move(res.body());
  }
  bool close_after_ = false;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& url : impl_->options.endpoints) {
    if (auto e = parse_endpoint(url)) impl_->endpoints.push_back(std::move(*e));
  }
  if (impl_->endpoints.empty()) impl_->endpoints.push_back(Endpoint{false, "127.0.0.1", "2379", "http://127.0.0.1:2379"});
}

Client::~Client() { impl_->close(); }

std::string Client::endpoint() const {
  std::lock_guard lock(impl_->endpoint_mu);
  return impl_->endpoints[impl_->current].text;
}

std::expected<std::string, Error> Client::call(std::string_view path, const std::string& body) {
  Impl& d = *impl_;
  std::optional<Error> last;
  const auto overall = std::chrono::steady_clock::now() + d.options.timeout;
  // With several members, one that accepts connections but never answers (a stopped process)
  // may take only half the budget, so that another member still gets its turn.
  const auto per_attempt = d.endpoints.size() > 1 ? d.options.timeout / 2 : d.options.timeout;
  // Each endpoint at most once, and all of them within one request timeout; a stale
  // keep-alive connection gets one more try.
  for (size_t attempt = 0; attempt <= d.endpoints.size(); ++attempt) {
    auto now = std::chrono::steady_clock::now();
    if (attempt > 0 && now >= overall) break;
    d.deadline = std::min(overall, now + per_attempt);
    bool reused = d.connected();
    auto attempt_start = std::chrono::steady_clock::now();
    if (auto c = d.connect(); !c) {
      keep_worst(last, c.error());
      d.next_endpoint();
      continue;
    }
    auto reply = d.exchange(path, body, true);
    if (reply && d.close_after_) {
      d.close_after_ = false;
      d.close();
    }
    if (reply) return reply;
    if (reply.error().code == Error::Code::unavailable || reused) {
      // The connection or the member failed: another member may do better.
      d.close();
      keep_worst(last, reply.error());
      // A kept-alive connection the member closed fails at once: retry the same member. One
      // that timed out (a hung member) moves on.
      bool quick = std::chrono::steady_clock::now() - attempt_start < std::chrono::milliseconds(50);
      if (!reused || attempt > 0 || !quick) d.next_endpoint();
      continue;
    }
    if (!d.options.username.empty() && is_auth_failure(reply.error().message) && attempt == 0) {
      d.close();  // the token expired: authenticate again
      keep_worst(last, reply.error());
      continue;
    }
    return reply;
  }
  return std::unexpected(last.value_or(unavailable("etcd: no endpoint")));
}

std::expected<void, Error> Client::stream(std::string_view path, const std::string& body,
                                          const std::function<bool(std::string_view)>& on_message,
                                          std::chrono::milliseconds idle, const std::atomic<bool>& stop) {
  Impl& d = *impl_;
  d.close();  // a stream takes a connection of its own
  d.deadline = std::chrono::steady_clock::now() + d.options.timeout;
  if (auto c = d.connect(); !c) {
    d.next_endpoint();
    return std::unexpected(c.error());
  }
  const std::string where = d.endpoints[d.current].text;
  auto fail = [&](Error e) -> std::expected<void, Error> {
    d.streaming = false;
    d.close();
    d.next_endpoint();
    return std::unexpected(std::move(e));
  };
  auto req = d.request(path, body, true);
  d.tcp().expires_at(d.deadline);
  d.streaming = true;
  auto ec = d.run_on_stream([&](auto& s, auto done) { http::async_write(s, req, done); });
  if (ec) return fail(unavailable("etcd " + where + ": " + ec.message()));
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  d.tcp().expires_at(d.deadline);
  ec = d.run_on_stream([&](auto& s, auto done) { http::async_read_header(s, d.buffer, parser, done); });
  if (ec) return fail(unavailable("etcd " + where + ": " + ec.message()));
  if (parser.get().result() != http::status::ok) {
    d.tcp().expires_at(d.deadline);
    d.run_on_stream([&](auto& s, auto done) { http::async_read(s, d.buffer, parser, done); });
    return fail(reply_error(parser.get().result_int(), parser.get().body(), where));
  }
  while (!stop.load()) {
    // Hand over every complete top-level JSON object received so far.
    std::string& text = parser.get().body();
    size_t start = std::string::npos, used = 0;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{') {
        if (depth++ == 0) start = i;
      } else if (c == '}' && depth > 0 && --depth == 0) {
        if (!on_message(std::string_view(text).substr(start, i + 1 - start))) {
          d.streaming = false;
          d.close();
          return {};
        }
        used = i + 1;
      }
    }
    text.erase(0, used);
    if (parser.is_done()) return fail(unavailable("etcd " + where + ": the stream ended"));
    d.tcp().expires_after(idle);
    ec = d.run_on_stream([&](auto& s, auto done) { http::async_read_some(s, d.buffer, parser, done); });
    if (ec == http::error::end_of_stream || ec == asio::error::eof)
      return fail(unavailable("etcd " + where + ": the stream ended"));
    if (ec == beast::error::timeout) return fail(unavailable("etcd " + where + ": the stream went silent"));
    if (ec == asio::error::operation_aborted && stop.load()) break;
    if (ec) return fail(unavailable("etcd " + where + ": " + ec.message()));
  }
  d.streaming = false;
  d.close();
  return {};
}

void Client::interrupt() {
  asio::post(impl_->ioc, [d = impl_.get()] {
    if (!d->streaming) return;
    boost::system::error_code ec;
    d->tcp().socket().cancel(ec);
    d->tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  });
}

}  // namespace beacon::catalog::etcd
