#include "tests/api/fixture.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "log/log.h"

namespace beacon::api::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http_ns = beast::http;

std::string HttpResult::header(const std::string& name) const {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(lower);
  return it == headers.end() ? std::string() : it->second;
}

uint64_t HttpResult::index() const {
  std::string v = header("X-Consul-Index");
  return v.empty() ? 0 : std::stoull(v);
}

HttpResult http(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                const std::map<std::string, std::string>& headers) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http_ns::request<http_ns::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http_ns::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http_ns::write(socket, req);
  beast::flat_buffer buffer;
  http_ns::response_parser<http_ns::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http_ns::read(socket, buffer, parser);
  HttpResult out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = parser.get().body();
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  boost::system::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return out;
}

config::Config test_config() {
  config::Config c;
  c.node_name = "agent1";
  c.datacenter = "dc1";
  c.bind_addr = "127.0.0.1";
  c.dev = true;
  return c;
}

Stack::Stack(config::Config config)
    : config_(std::move(config)), store_(std::make_unique<catalog::MemoryStore>()),
      feed_(catalog::Keyspace("beacon/", "dc1"),
            [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }) {
  log::set_level(log::Level::error);  // the per-request info lines would drown Catch's report
  writer_ = std::make_unique<catalog::Writer>(*store_, feed_.replica().keyspace());
  health::Engine::Options options;
  options.enable_script_checks = config_.enable_local_script_checks;
  // As cmd/agent.cc wires them: engine results and reaps go to the catalog through
  // LocalChecks, which follows the feed to run exactly this node's checks.
  engine_ = std::make_unique<health::Engine>(
      io_, options,
      [this](const std::string& id, catalog::Health status, const std::string& output) {
        local_checks_->record_status(id, status, output);
      },
      [this](const std::string& service_id) { local_checks_->reap(service_id); });
  local_checks_ = std::make_unique<health::LocalChecks>(*engine_, feed_.replica(), *writer_, config_.node_name);
  feed_.subscribe([this](uint64_t, const catalog::Change&) { local_checks_->sync(); });
  if (auto loaded = feed_.load(*store_); !loaded) throw std::runtime_error(loaded.error().message);
  Context ctx{[this]() -> const config::Config& { return config_; }, feed_, *writer_, *engine_, "1.2.3-test"};
  auto server = Server::bind(io_, "127.0.0.1", 0, std::move(ctx));
  if (!server) throw std::runtime_error(server.error());
  server_ = std::move(*server);
  port_ = server_->port();
  server_->start();
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

Stack::~Stack() {
  on_io([this] {
    server_->stop();
    io_.stop();
    return 0;
  });
  thread_.join();
}

}  // namespace beacon::api::test
