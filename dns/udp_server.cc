#include "dns/udp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dns/answer.h"
#include "dns/wire/wire.h"
#include "log/log.h"

namespace beacon::dns {
namespace {

constexpr size_t kBatch = 32;
constexpr size_t kRxSize = 4096;  // queries are small; a bigger one is cut and answered FORMERR
constexpr int kRcvBuf = 4 << 20;  // absorbs bursts (the default 208 KiB overflows under load)
constexpr int kSndBuf = 4 << 20;  // a batch of 32 replies of up to max_udp_size (8 KiB each by default)

bool make_sockaddr(const std::string& address, uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::expected<int, std::string> open_socket(const std::string& address, uint16_t port, uint16_t& bound_port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!make_sockaddr(address, port, ss, len)) return std::unexpected("not an IP address: " + address);
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  int rcvbuf = kRcvBuf;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int sndbuf = kSndBuf;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (ss.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  timeval tv{0, 200 * 1000};  // lets a worker notice stop()
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return std::unexpected("bind udp " + address + ":" + std::to_string(port) + ": " + err);
  }
  sockaddr_storage got;
  socklen_t got_len = sizeof got;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  bound_port = ntohs(got.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&got)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  return fd;
}

}  // namespace

std::expected<std::unique_ptr<UdpServer>, std::string> UdpServer::bind(const std::string& address, uint16_t port,
                                                                       unsigned workers,
                                                                       const SnapshotHolder<Zone>& zone) {
  if (workers == 0) workers = 1;
  std::vector<int> fds;
  uint16_t bound = port;
  for (unsigned i = 0; i < workers; ++i) {
    auto fd = open_socket(address, bound, bound);
    if (!fd) {
      for (int f : fds) ::close(f);
      return std::unexpected(fd.error());
    }
    fds.push_back(*fd);
  }
  return std::unique_ptr<UdpServer>(new UdpServer(std::move(fds), bound, zone));
}

UdpServer::UdpServer(std::vector<int> fds, uint16_t port, const SnapshotHolder<Zone>& zone)
    : fds_(std::move(fds)), port_(port), zone_(zone), counters_(new Counters[fds_.size()]) {}

UdpServer::~UdpServer() {
  stop();
  for (int fd : fds_) ::close(fd);
}

void UdpServer::start() {
  for (size_t i = 0; i < fds_.size(); ++i) threads_.emplace_back([this, i] { run(i); });
}

void UdpServer::stop() {
  stopping_.store(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

uint64_t UdpServer::queries() const {
  uint64_t n = 0;
  for (size_t i = 0; i < fds_.size(); ++i) n += counters_[i].total();
  return n;
}

void UdpServer::run(size_t worker) {
  int fd = fds_[worker];
  Counters& counters = counters_[worker];
  // All of the worker's memory, allocated once.
  struct Slot {
    uint8_t rx[kRxSize];
    uint8_t tx[kMaxMessage];
    sockaddr_storage peer;
  };
  auto slots = std::make_unique<Slot[]>(kBatch);
  mmsghdr rx_msgs[kBatch], tx_msgs[kBatch];
  iovec rx_iov[kBatch], tx_iov[kBatch];
  std::memset(rx_msgs, 0, sizeof rx_msgs);
  std::memset(tx_msgs, 0, sizeof tx_msgs);
  Scratch scratch(0x9E3779B97F4A7C15ull ^ (uint64_t{worker} << 32) ^ static_cast<uint64_t>(::getpid()));
  scratch.order.reserve(1024);
  SnapshotHolder<Zone>::Reader reader(zone_);

  while (!stopping_.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < kBatch; ++i) {
      rx_iov[i] = {slots[i].rx, kRxSize};
      rx_msgs[i].msg_hdr.msg_name = &slots[i].peer;
      rx_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
      rx_msgs[i].msg_hdr.msg_iovlen = 1;
      rx_msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = ::recvmmsg(fd, rx_msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log::warn("dns", "udp receive failed: ", std::strerror(errno));
      continue;
    }
    const Zone& zone = reader.get();
    unsigned out = 0;
    for (int i = 0; i < n; ++i) {
      size_t len = rx_msgs[i].msg_len;
      if (rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) len = kHeaderSize + 1;  // oversized: FORMERR
      Result r = answer(zone, slots[i].rx, len, Transport::udp, slots[i].tx, kMaxMessage, scratch);
      counters.count(r);
      if (r.outcome == Outcome::recurse) {
        if (recursor_ && zone.settings->allows_recursion(&slots[i].peer)) {
          recursor_->forward_udp(fd, slots[i].peer, rx_msgs[i].msg_hdr.msg_namelen,
                                 std::span<const uint8_t>(slots[i].rx, len));
          continue;
        }
        r.size = write_error_reply(slots[i].rx, len, kRcodeRefused, false, slots[i].tx, kMaxMessage);
      }
      if (r.size == 0) continue;
      tx_iov[out] = {slots[i].tx, r.size};
      tx_msgs[out].msg_hdr.msg_name = &slots[i].peer;
      tx_msgs[out].msg_hdr.msg_namelen = rx_msgs[i].msg_hdr.msg_namelen;
      tx_msgs[out].msg_hdr.msg_iov = &tx_iov[out];
      tx_msgs[out].msg_hdr.msg_iovlen = 1;
      ++out;
    }
    unsigned sent = 0;
    while (sent < out) {
      int m = ::sendmmsg(fd, tx_msgs + sent, out - sent, 0);
      if (m < 0) {
        if (errno == EINTR) continue;
        ++sent;  // skip the datagram that failed (e.g. unreachable peer) and go on
        continue;
      }
      sent += static_cast<unsigned>(m);
    }
  }
}

}  // namespace beacon::dns
