#include "tests/support/raw_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dns/wire/query.h"
#include "dns/wire/wire.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket when it goes out of scope.
struct Socket {
  int fd;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

// Waits for `fd` to become readable before `deadline`.
bool wait_readable(int fd, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Reads exactly `len` bytes before `deadline`.
bool read_exact(int fd, uint8_t* out, size_t len, Clock::time_point deadline) {
  size_t got = 0;
  while (got < len) {
    if (!wait_readable(fd, deadline)) return false;
    ssize_t n = ::recv(fd, out + got, len - got, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

std::optional<Bytes> send_udp(uint16_t port, const Bytes& msg, Clock::time_point deadline) {
  Socket s{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return std::nullopt;
  sockaddr_in sa = loopback(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return std::nullopt;
  if (::send(s.fd, msg.data(), msg.size(), 0) < 0) return std::nullopt;
  Bytes reply(65535);
  while (wait_readable(s.fd, deadline)) {
    ssize_t n = ::recv(s.fd, reply.data(), reply.size(), 0);
    if (n >= 0) {
      reply.resize(static_cast<size_t>(n));
      return reply;
    }
    if (errno != EINTR) return std::nullopt;  // e.g. ECONNREFUSED: nobody listens
  }
  return std::nullopt;
}

// Connects to 127.0.0.1:port over TCP and writes every message with its length prefix.
bool connect_and_write(const Socket& s, uint16_t port, const std::vector<Bytes>& msgs) {
  if (s.fd < 0) return false;
  sockaddr_in sa = loopback(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
  Bytes framed;
  for (const Bytes& msg : msgs) {
    framed.push_back(static_cast<uint8_t>(msg.size() >> 8));
    framed.push_back(static_cast<uint8_t>(msg.size()));
    framed.insert(framed.end(), msg.begin(), msg.end());
  }
  size_t sent = 0;
  while (sent < framed.size()) {
    ssize_t n = ::send(s.fd, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads one length-prefixed message.
std::optional<Bytes> read_framed(int fd, Clock::time_point deadline) {
  uint8_t len[2];
  if (!read_exact(fd, len, 2, deadline)) return std::nullopt;
  Bytes reply(static_cast<size_t>(len[0]) << 8 | len[1]);
  if (!read_exact(fd, reply.data(), reply.size(), deadline)) return std::nullopt;
  return reply;
}

std::optional<Bytes> send_tcp(uint16_t port, const Bytes& msg, Clock::time_point deadline) {
  Socket s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!connect_and_write(s, port, {msg})) return std::nullopt;
  return read_framed(s.fd, deadline);
}

}  // namespace

Bytes encode_name(std::string_view name) {
  Bytes out;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
  return out;
}

void put_u16(Bytes& msg, size_t at, uint16_t value) {
  if (msg.size() < at + 2) msg.resize(at + 2);
  msg[at] = static_cast<uint8_t>(value >> 8);
  msg[at + 1] = static_cast<uint8_t>(value);
}

Bytes build_query(const QuerySpec& spec) {
  dns::QueryParams q{.id = spec.id,
                     .flags = spec.flags,
                     .qname = spec.qname,
                     .qtype = spec.qtype,
                     .qclass = spec.qclass,
                     .edns = spec.edns_version.has_value(),
                     .edns_udp_size = spec.edns_udp_size,
                     .edns_version = spec.edns_version.value_or(0)};
  Bytes msg(dns::kMaxQueryMessage);
  if (size_t n = dns::encode_query(q, msg.data(), msg.size())) {
    msg.resize(n);
    return msg;
  }
  // A name the encoder refuses, sent on purpose: encode the query for the root name (one
  // zero byte after the header), then put the unchecked labels in its place.
  q.qname = ".";
  msg.resize(dns::encode_query(q, msg.data(), msg.size()));
  Bytes name = encode_name(spec.qname);
  msg.erase(msg.begin() + dns::kHeaderSize);
  msg.insert(msg.begin() + dns::kHeaderSize, name.begin(), name.end());
  return msg;
}

std::optional<Bytes> send_raw(uint16_t port, const Bytes& msg, bool tcp, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  return tcp ? send_tcp(port, msg, deadline) : send_udp(port, msg, deadline);
}

std::vector<Bytes> send_raw_tcp_pipelined(uint16_t port, const std::vector<Bytes>& msgs,
                                          std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::vector<Bytes> replies;
  Socket s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!connect_and_write(s, port, msgs)) return replies;
  while (replies.size() < msgs.size()) {
    std::optional<Bytes> reply = read_framed(s.fd, deadline);
    if (!reply) break;
    replies.push_back(std::move(*reply));
  }
  return replies;
}

}  // namespace beacon::test
