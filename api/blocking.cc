// Blocking queries (api/blocking.h): part indexes and timer-based waiters.
//
// Placement (which nodes carry which service names) is kept here rather than asked of the
// replica, because a change must also reach the parts an object has just left: when a
// service moves off a node or is deleted, the replica no longer knows where it was.
#include "api/blocking.h"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <vector>

namespace beacon::api {

namespace asio = boost::asio;

struct Blocking::State {
  explicit State(asio::io_context& io_context) : io(io_context), rng(std::random_device{}()) {}

  uint64_t index_of(const Part& part) const {
    auto lookup = [this](const std::map<std::string, uint64_t>& m, const std::string& name) {
      auto it = m.find(name);
      return std::max<uint64_t>(base, it == m.end() ? 0 : it->second);
    };
    switch (part.kind) {
      case Part::Kind::all: return global;
      case Part::Kind::service: return lookup(service_index, part.name);
      case Part::Kind::node: return lookup(node_index, part.name);
    }
    return global;
  }

  void wake(const Part& part) {
    auto it = waiters.find(part);
    if (it == waiters.end()) return;
    for (asio::steady_timer* timer : it->second) timer->cancel();
  }

  asio::io_context& io;
  bool stopped = false;
  uint64_t base = 1;    // every part changed at least here (start, or the last Change.all)
  uint64_t global = 1;  // the last commit
  std::map<std::string, uint64_t> service_index;
  std::map<std::string, uint64_t> node_index;
  std::map<std::string, std::set<std::string>> service_nodes;  // name -> nodes carrying it
  std::map<std::string, std::set<std::string>> node_services;  // node -> service names on it
  std::map<Part, std::set<asio::steady_timer*>> waiters;
  size_t waiting = 0;
  std::minstd_rand rng;
};

Blocking::Blocking(asio::io_context& io, const catalog::Replica& replica)
    : state_(std::make_shared<State>(io)), replica_(replica) {
  state_->base = std::max<uint64_t>(1, replica.index());
  state_->global = state_->base;
  rebuild_placement();
}

// Suspended waiters hold the state; they are woken by stop() (Server::stop), not here, because
// the io_context may be tearing their frames down while this runs.
Blocking::~Blocking() { state_->stopped = true; }

uint64_t Blocking::index(const Part& part) const { return state_->index_of(part); }

size_t Blocking::waiting() const { return state_->waiting; }

void Blocking::rebuild_placement() {
  state_->service_nodes.clear();
  state_->node_services.clear();
  for (const auto& [key, service] : replica_.services()) {
    state_->service_nodes[service.name].insert(service.node);
    state_->node_services[service.node].insert(service.name);
  }
}

void Blocking::notify(uint64_t index, const catalog::Change& change) {
  State& st = *state_;
  if (index <= st.global && !change.all) index = st.global;  // never move a part backwards
  st.global = std::max(st.global, index);
  if (change.all) {
    st.base = st.global;
    st.service_index.clear();
    st.node_index.clear();
    rebuild_placement();
    for (auto& [part, timers] : st.waiters) {
      for (asio::steady_timer* timer : timers) timer->cancel();
    }
    return;
  }

  auto nodes_now = [this](const std::string& name) { return replica_.nodes_of(name); };
  std::set<std::string> services = change.services;
  std::set<std::string> nodes = change.nodes;
  std::map<std::string, std::set<std::string>> placed;  // service -> nodes now, computed once
  for (const std::string& name : change.services) {
    if (auto it = st.service_nodes.find(name); it != st.service_nodes.end()) nodes.insert(it->second.begin(), it->second.end());
    const auto& now = placed.emplace(name, nodes_now(name)).first->second;
    nodes.insert(now.begin(), now.end());
  }
  for (const std::string& node : change.nodes) {
    if (auto it = st.node_services.find(node); it != st.node_services.end()) services.insert(it->second.begin(), it->second.end());
    for (const std::string& name : replica_.services_on_node(node)) services.insert(name);
  }

  for (const std::string& name : services) {
    st.service_index[name] = st.global;
    // Move the service's placement to where the replica has it now.
    auto p = placed.find(name);
    std::set<std::string> now = p != placed.end() ? std::move(p->second) : nodes_now(name);
    if (auto it = st.service_nodes.find(name); it != st.service_nodes.end()) {
      for (const std::string& old : it->second) {
        if (now.contains(old)) continue;
        auto on = st.node_services.find(old);
        if (on == st.node_services.end()) continue;
        on->second.erase(name);
        if (on->second.empty()) st.node_services.erase(on);
      }
    }
    for (const std::string& node : now) st.node_services[node].insert(name);
    if (now.empty()) st.service_nodes.erase(name);
    else st.service_nodes[name] = std::move(now);
  }
  for (const std::string& node : nodes) st.node_index[node] = st.global;

  st.wake(Part{});
  for (const std::string& name : services) st.wake(Part{Part::Kind::service, name});
  for (const std::string& node : nodes) st.wake(Part{Part::Kind::node, node});
}

asio::awaitable<void> Blocking::wait(Part part, uint64_t client_index, std::chrono::milliseconds wait) {
  std::shared_ptr<State> st = state_;  // *this may be gone when we resume
  if (st->stopped || client_index == 0) co_return;
  const uint64_t start = st->index_of(part);
  if (client_index < start) co_return;

  auto jitter_max = wait.count() / 16;
  std::chrono::milliseconds jitter{
      jitter_max > 0 ? std::uniform_int_distribution<int64_t>(0, jitter_max)(st->rng) : 0};
  asio::steady_timer timer(st->io);
  timer.expires_after(wait + jitter);

  // Registered for the time we are suspended; removed however the coroutine ends.
  struct Registration {
    State& st;
    const Part& part;
    asio::steady_timer* timer;
    Registration(State& s, const Part& p, asio::steady_timer* t) : st(s), part(p), timer(t) {
      st.waiters[part].insert(timer);
      ++st.waiting;
    }
    ~Registration() {
      auto it = st.waiters.find(part);
      if (it != st.waiters.end()) {
        it->second.erase(timer);
        if (it->second.empty()) st.waiters.erase(it);
      }
      --st.waiting;
    }
  } registration(*st, part, &timer);

  while (true) {
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) break;  // the deadline passed
    if (st->stopped || st->index_of(part) > start) break;
    // Woken for a change that did not pass our index (another part's commit): sleep again
    // until the same deadline.
  }
}

void Blocking::stop() {
  state_->stopped = true;
  for (auto& [part, timers] : state_->waiters) {
    for (asio::steady_timer* timer : timers) timer->cancel();
  }
}

}  // namespace beacon::api
