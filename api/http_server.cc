// HttpServer (api/http_server.h): Beast accept loop and per-connection coroutine.
#include "api/http_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <set>

#include "log/log.h"

namespace beacon::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

struct HttpServer::Shared {
  Handler handler;
  HttpLimits limits;
  bool stopped = false;
  std::set<beast::tcp_stream*> open;  // connections, closed by stop()
};

namespace {

constexpr std::chrono::seconds kDrainTime{2};

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

Request to_request(http::request<http::string_body>& in) {
  Request r;
  r.method = std::string(in.method_string());
  std::string_view target(in.target().data(), in.target().size());
  size_t q = target.find('?');
  r.path = percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) r.query = parse_query(target.substr(q + 1));
  r.body = std::move(in.body());
  if (auto it = in.find("X-Consul-Token"); it != in.end() && !it->value().empty()) {
    r.token = std::string(it->value());
  } else if (auto auth = in.find(http::field::authorization); auth != in.end()) {
    std::string_view value(auth->value().data(), auth->value().size());
    if (iequals_prefix(value, "Bearer ")) {
      value.remove_prefix(7);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.token = std::string(value);
    }
  }
  if (r.token.empty()) r.token = r.get("token").value_or("");
  return r;
}

http::response<http::string_body> to_beast(Response&& in, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(in.status), version};
  res.set(http::field::content_type, in.content_type);
  for (auto& [name, value] : in.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(in.body);
  res.prepare_payload();
  return res;
}

// After an early reply (413), reads and drops what the client is still sending, so that
// closing does not reset the connection before the client has read the reply.
asio::awaitable<void> drain(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kDrainTime);
  std::vector<char> sink(64 * 1024);
  while (!ec) {
    co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  shared->open.insert(&stream);
  struct Forget {
    HttpServer::Shared& s;
    beast::tcp_stream* stream;
    ~Forget() { s.open.erase(stream); }
  } forget{*shared, &stream};

  beast::flat_buffer buffer;
  boost::system::error_code ec;
  try {
    while (!shared->stopped) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(shared->limits.body_limit);
      stream.expires_after(shared->limits.read_timeout);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::body_limit) {
        Response r = text_error(413, "Request body too large, max size: " +
                                          std::to_string(shared->limits.body_limit) + " bytes");
        auto res = to_beast(std::move(r), parser.get().version(), false);
        stream.expires_after(shared->limits.write_timeout);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await drain(stream);
        break;
      }
      if (ec) {
        // A malformed request gets a 400; a closed, reset or timed-out connection nothing.
        if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
          auto res = to_beast(text_error(400, "Bad Request: " + ec.message()), 11, false);
          stream.expires_after(shared->limits.write_timeout);
          co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        }
        break;
      }
      auto& in = parser.get();
      unsigned version = in.version();
      bool keep_alive = in.keep_alive();
      stream.expires_never();  // a blocking query may take minutes
      Response out = co_await shared->handler(to_request(in));
      if (shared->stopped) break;
      auto res = to_beast(std::move(out), version, keep_alive);
      stream.expires_after(shared->limits.write_timeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
  } catch (const std::exception& e) {
    log::error("http", "connection ended by an exception: ", e.what());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::Shared> shared, tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  while (!shared->stopped) {
    tcp::socket socket(acceptor.get_executor());
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (shared->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      log::warn("http", "accept failed: ", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), session(shared, std::move(socket)), asio::detached);
  }
}

}  // namespace

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::bind(asio::io_context& io,
                                                                         const std::string& address, uint16_t port,
                                                                         Handler handler) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return std::unexpected("http: not an IP address: " + address);
  tcp::endpoint ep(ip, port);
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && ip.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("bind http " + address + ":" + std::to_string(port) + ": " + ec.message());
  return std::unique_ptr<HttpServer>(new HttpServer(io, std::move(acceptor), std::move(handler)));
}

HttpServer::HttpServer(asio::io_context& io, tcp::acceptor acceptor, Handler handler)
    : io_(io), acceptor_(std::move(acceptor)), port_(acceptor_.local_endpoint().port()),
      shared_(std::make_shared<Shared>()) {
  shared_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::set_limits(const HttpLimits& limits) { shared_->limits = limits; }

void HttpServer::start() { asio::co_spawn(io_, accept_loop(shared_, acceptor_), asio::detached); }

void HttpServer::stop() {
  shared_->stopped = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (beast::tcp_stream* stream : shared_->open) stream->socket().close(ec);
}

}  // namespace beacon::api
