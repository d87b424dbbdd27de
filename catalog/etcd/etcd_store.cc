// EtcdStore (catalog/etcd/etcd_store.h): its threads started and stopped, index(), contact(), the JSON helpers.
#include "catalog/etcd/etcd_store_impl.h"

#include <algorithm>

#include "base/json_bounds.h"

namespace beacon::catalog {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

Error corrupt(std::string message) { return Error{Error::Code::corrupt, std::move(message)}; }

}  // namespace

namespace etcd {

// The gateway sends 64-bit integers as strings and omits zero values.
int64_t int_field(const json& obj, const char* name) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(name);
  if (it == obj.end()) return 0;
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return 0;
}

bool bool_field(const json& obj, const char* name) {
  if (!obj.is_object()) return false;
  auto it = obj.find(name);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string str_field(const json& obj, const char* name) {
  if (!obj.is_object()) return {};
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::expected<json, Error> parse_reply(const std::string& body) {
  auto doc = base::parse_bounded<json>(body);
  if (!doc.is_object()) return std::unexpected(corrupt("etcd sent a reply that is not a JSON object"));
  return doc;
}

json range_request(std::string_view prefix, bool keys_only) {
  json req = {{"key", etcd::base64_encode(prefix)}, {"range_end", etcd::base64_encode(etcd::prefix_end(prefix))}};
  if (keys_only) req["keys_only"] = true;
  return req;
}

}  // namespace etcd

EtcdStore::Impl::Impl(Options o, Post p)
    : options(std::move(o)), post(std::move(p)), control(client_options()), feed_client(client_options()),
      lease_client(client_options()) {}

etcd::ClientOptions EtcdStore::Impl::client_options() const {
  return etcd::ClientOptions{options.endpoints, options.ca_file, options.cert_file, options.key_file,
                             options.username, options.password, options.request_timeout};
}

void EtcdStore::Impl::touch_contact() {
  last_contact_ns.store(Clock::now().time_since_epoch().count());
}

void EtcdStore::Impl::set_error(const std::string& message) {
  std::lock_guard lock(error_mu);
  last_error = message;
}

std::string EtcdStore::Impl::error_text() {
  std::lock_guard lock(error_mu);
  return last_error;
}

void EtcdStore::Impl::sleep_for(milliseconds d) {
  std::unique_lock lock(mu);
  cv.wait_for(lock, d, [&] { return stopping.load() || wake; });
  wake = false;
}

EtcdStore::EtcdStore(Options options, Post post) : impl_(std::make_shared<Impl>(std::move(options), std::move(post))) {
  impl_->feed_thread = std::thread([impl = impl_.get()] { impl->feed_loop(); });
  if (!impl_->options.liveness_key.empty())
    impl_->lease_thread = std::thread([impl = impl_.get()] { impl->lease_loop(); });
  if (!impl_->options.read_only) impl_->writer_thread = std::thread([impl = impl_.get()] { impl->writer_loop(); });
}

EtcdStore::~EtcdStore() { stop(); }

void EtcdStore::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->cv.notify_all();
  {
    std::lock_guard lock(impl_->job_mu);  // the writer checks `stopping` under this lock
  }
  impl_->job_cv.notify_all();
  impl_->feed_client.interrupt();
  impl_->lease_client.interrupt();
  if (impl_->feed_thread.joinable()) impl_->feed_thread.join();
  if (impl_->lease_thread.joinable()) impl_->lease_thread.join();
  if (impl_->writer_thread.joinable()) impl_->writer_thread.join();
}

uint64_t EtcdStore::index() const { return impl_->delivered; }

Contact EtcdStore::contact() const {
  Contact c;
  c.known_leader = impl_->feed_up.load() && impl_->lease_ok.load();
  int64_t last = impl_->last_contact_ns.load();
  if (c.known_leader) return c;  // a live watch stream and lease: in contact now
  if (last == 0) {
    c.known_leader = false;
    return c;
  }
  auto since = Clock::now().time_since_epoch() - Clock::duration(last);
  c.last_contact_ms = uint64_t(std::max<int64_t>(0, std::chrono::duration_cast<milliseconds>(since).count()));
  return c;
}

}  // namespace beacon::catalog
