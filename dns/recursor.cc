// c-ares under Asio: each c-ares socket is watched with a non-owning posix descriptor, and
// c-ares's own timeouts with one steady_timer per channel.
#include "dns/recursor.h"

#include <ares.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>

#include "dns/answer.h"
#include "dns/wire/wire.h"
#include "log/log.h"

namespace beacon::dns {

namespace asio = boost::asio;

namespace {

std::once_flag g_ares_init;  // ares_library_init is process-wide and not thread-safe

// "ip", "ip:port", "[v6]:port" or a bare v6 address to c-ares's "ip:port" / "[v6]:port".
std::expected<std::string, std::string> to_ares_server(const std::string& s) {
  std::string host = s, port = "53";
  in6_addr a6;
  in_addr a4;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) return std::unexpected("bad recursor address " + s);
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return std::unexpected("bad recursor address " + s);
      port = s.substr(close + 2);
    }
  } else if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    host = s;
  } else if (size_t colon = s.rfind(':'); colon != std::string::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    return std::unexpected("bad port in recursor address " + s);
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) return host + ":" + port;
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) return "[" + host + "]:" + port;
  return std::unexpected("recursor " + s + " is not an IP address");
}

}  // namespace

struct Recursor::Impl : std::enable_shared_from_this<Recursor::Impl> {
  // One watched c-ares socket.
  struct Watch {
    // Asio watches a duplicate of c-ares's descriptor and closes that duplicate itself: the
    // common close path of its reactor, rather than release(), which left a reused
    // descriptor slot without events in testing.
    explicit Watch(asio::io_context& io, int fd) : sd(io, ::dup(fd)) {}
    asio::posix::stream_descriptor sd;
    bool want_read = false, want_write = false, reading = false, writing = false, alive = true;
  };
  // One c-ares channel (UDP or TCP) and what drives it.
  struct Channel {
    Channel(Impl* owner, asio::io_context& io) : impl(owner), timer(io) {}
    Impl* impl;
    ares_channel ch = nullptr;
    std::map<int, std::shared_ptr<Watch>> watches;
    asio::steady_timer timer;
  };
  // One question upstream.
  struct Pending {
    Impl* impl;
    std::vector<uint8_t> query;
    Done done;
  };

  explicit Impl(asio::io_context& io_context) : io(io_context), udp(this, io), tcp(this, io) {}
  ~Impl() {
    destroying = true;
    close_channel(udp);
    close_channel(tcp);
  }

  std::expected<void, std::string> open(const Options& o) {
    options = o;
    std::string csv;
    for (const std::string& s : o.servers) {
      auto server = to_ares_server(s);
      if (!server) return std::unexpected(server.error());
      csv += (csv.empty() ? "" : ",") + *server;
    }
    for (Channel* c : {&udp, &tcp}) {
      ares_options ao{};
      int mask = ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_EDNSPSZ |
                 (o.random ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE);
      // UDP: relay a truncated reply as it is (the client retries over TCP). TCP: one
      // connection per question (STAYOPEN made a dnsmasq upstream stop answering UDP while a
      // TCP connection it had forked for stayed open).
      ao.flags = c == &udp ? ARES_FLAG_IGNTC : ARES_FLAG_USEVC;
      // Without ARES_FLAG_EDNS, c-ares cuts every UDP reply to 512 bytes, which would break
      // the replies to EDNS clients (upstreams answer them up to the client's size). The flag
      // changes nothing in the client's message that ares_send forwards.
      ao.flags |= ARES_FLAG_EDNS;
      ao.ednspsz = 65535;
      ao.tries = 1;  // each recursor once, in turn; SERVFAIL/REFUSED/timeouts move on
      ao.timeout = static_cast<int>(o.timeout.count());
      ao.sock_state_cb = &Impl::on_sock_state;
      ao.sock_state_cb_data = c;
      if (int rc = ares_init_options(&c->ch, &ao, mask); rc != ARES_SUCCESS)
        return std::unexpected(std::string("c-ares: ") + ares_strerror(rc));
      if (!csv.empty()) {
        if (int rc = ares_set_servers_ports_csv(c->ch, csv.c_str()); rc != ARES_SUCCESS)
          return std::unexpected(std::string("c-ares servers: ") + ares_strerror(rc));
      }
    }
    return {};
  }

  void close_channel(Channel& c) {
    if (c.ch) ares_destroy(c.ch);  // calls every pending callback with ARES_EDESTRUCTION
    c.ch = nullptr;
    c.timer.cancel();
    for (auto& [fd, w] : c.watches) forget(*w);
    c.watches.clear();
  }

  static void forget(Watch& w) {
    w.alive = false;
    boost::system::error_code ec;
    w.sd.close(ec);  // cancels the waits and closes our duplicate
  }

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* c = static_cast<Channel*>(data);
    auto it = c->watches.find(fd);
    if (!readable && !writable) {
      if (it != c->watches.end()) {
        forget(*it->second);
        c->watches.erase(it);
      }
      return;
    }
    if (it == c->watches.end()) it = c->watches.emplace(fd, std::make_shared<Watch>(c->impl->io, fd)).first;
    it->second->want_read = readable;
    it->second->want_write = writable;
    c->impl->arm(*c, fd, it->second);
  }

  void arm(Channel& c, int fd, const std::shared_ptr<Watch>& w) {
    Channel* cp = &c;
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->sd.async_wait(asio::posix::stream_descriptor::wait_read, [this, cp, fd, w](boost::system::error_code ec) {
        w->reading = false;
        if (!w->alive || ec || !cp->ch) return;
        ares_process_fd(cp->ch, fd, ARES_SOCKET_BAD);
        if (w->alive) arm(*cp, fd, w);
        reset_timer(*cp);
      });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->sd.async_wait(asio::posix::stream_descriptor::wait_write, [this, cp, fd, w](boost::system::error_code ec) {
        w->writing = false;
        if (!w->alive || ec || !cp->ch) return;
        ares_process_fd(cp->ch, ARES_SOCKET_BAD, fd);
        if (w->alive) arm(*cp, fd, w);
        reset_timer(*cp);
      });
    }
  }

  // Arms the channel's timer for c-ares's next timeout (none when nothing is pending).
  void reset_timer(Channel& c) {
    if (!c.ch) return;
    timeval tv;
    timeval* next = ares_timeout(c.ch, nullptr, &tv);
    if (!next) {
      c.timer.cancel();
      return;
    }
    auto wait = std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec);
    c.timer.expires_after(wait + std::chrono::microseconds(500));
    Channel* cp = &c;
    c.timer.async_wait([this, cp](boost::system::error_code ec) {
      if (ec || !cp->ch) return;
      ares_process_fd(cp->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // lets c-ares act on timeouts
      reset_timer(*cp);
    });
  }

  static void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
    Impl* impl = p->impl;
    --impl->inflight_count;
    if (impl->destroying) return;  // shutting down: nobody to answer
    if (status == ARES_SUCCESS && abuf && alen >= static_cast<int>(kHeaderSize)) {
      std::vector<uint8_t> reply(abuf, abuf + alen);
      reply[0] = p->query[0];  // the client's ID, not c-ares's
      reply[1] = p->query[1];
      ++impl->relayed_count;
      p->done(reply);
      return;
    }
    ++impl->failed_count;
    log::debug("dns", "recursion failed: ", ares_strerror(status));
    impl->fail(p->query, p->done);
  }

  void fail(std::span<const uint8_t> query, const Done& done) {
    uint8_t buf[kMaxUdpPlain + 64];
    size_t n = write_error_reply(query.data(), query.size(), kRcodeServFail, true, buf, sizeof buf);
    if (n) done(std::span<const uint8_t>(buf, n));
  }

  void forward(std::span<const uint8_t> query, bool over_tcp, Done done) {
    if (query.size() < kHeaderSize) return;
    Channel& c = over_tcp ? tcp : udp;
    if (!c.ch || options.servers.empty()) {
      ++failed_count;
      fail(query, done);
      return;
    }
    if (inflight_count >= options.max_inflight) {
      ++shed_count;
      fail(query, done);
      return;
    }
    ++inflight_count;
    auto* p = new Pending{this, std::vector<uint8_t>(query.begin(), query.end()), std::move(done)};
    ares_send(c.ch, p->query.data(), static_cast<int>(p->query.size()), &Impl::on_reply, p);
    reset_timer(c);
  }

  asio::io_context& io;
  Options options;
  Channel udp, tcp;
  bool destroying = false;
  std::atomic<size_t> inflight_count{0};
  std::atomic<uint64_t> relayed_count{0}, failed_count{0}, shed_count{0};
};

std::expected<std::unique_ptr<Recursor>, std::string> Recursor::create(asio::io_context& io, const Options& options) {
  std::call_once(g_ares_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  auto impl = std::make_shared<Impl>(io);
  if (auto r = impl->open(options); !r) return std::unexpected(r.error());
  return std::unique_ptr<Recursor>(new Recursor(std::move(impl)));
}

Recursor::Recursor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Recursor::~Recursor() = default;

std::expected<void, std::string> Recursor::reconfigure(const Options& options) {
  for (const std::string& s : options.servers)
    if (auto ok = to_ares_server(s); !ok) return std::unexpected(ok.error());
  impl_->close_channel(impl_->udp);  // questions in flight get SERVFAIL
  impl_->close_channel(impl_->tcp);
  return impl_->open(options);
}

void Recursor::forward(std::span<const uint8_t> query, bool tcp, Done done) {
  impl_->forward(query, tcp, std::move(done));
}

void Recursor::forward_udp(int fd, const sockaddr_storage& peer, socklen_t peer_len, std::span<const uint8_t> query) {
  std::weak_ptr<Impl> weak = impl_;
  asio::post(impl_->io, [weak, fd, peer, peer_len, q = std::vector<uint8_t>(query.begin(), query.end())] {
    auto impl = weak.lock();
    if (!impl) return;
    impl->forward(q, false, [fd, peer, peer_len](std::span<const uint8_t> reply) {
      // The worker's socket; sendto on it from this thread is safe.
      ::sendto(fd, reply.data(), reply.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer), peer_len);
    });
  });
}

size_t Recursor::inflight() const { return impl_->inflight_count; }
uint64_t Recursor::relayed() const { return impl_->relayed_count; }
uint64_t Recursor::failed() const { return impl_->failed_count; }
uint64_t Recursor::shed() const { return impl_->shed_count; }

}  // namespace beacon::dns
