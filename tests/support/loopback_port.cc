#include "tests/support/loopback_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace beacon::test {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

// Binds a new socket of `type` to 127.0.0.1:port. Returns the fd (with the bound port in
// `bound`), or -1.
int bind_loopback(int type, uint16_t port, uint16_t& bound) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa = loopback(port);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return -1;
  }
  bound = ntohs(sa.sin_port);
  return fd;
}

}  // namespace

uint16_t pick_free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    uint16_t port = 0;
    int udp = bind_loopback(SOCK_DGRAM, 0, port);
    if (udp < 0) continue;
    // The servers listen on TCP as well, so the same number must be free there too. No
    // SO_REUSEADDR: a port in TIME_WAIT is skipped rather than handed out.
    uint16_t tcp_port = 0;
    int tcp = bind_loopback(SOCK_STREAM, port, tcp_port);
    ::close(udp);
    if (tcp < 0) continue;
    ::close(tcp);
    return port;
  }
  return 0;
}

uint16_t closed_udp_port() {
  uint16_t port = 0;
  int fd = bind_loopback(SOCK_DGRAM, 0, port);
  if (fd < 0) return 0;
  ::close(fd);
  return port;
}

BlackholePort::BlackholePort() {
  for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
    uint16_t port = 0;
    int udp = bind_loopback(SOCK_DGRAM, 0, port);
    if (udp < 0) continue;
    uint16_t tcp_port = 0;
    int tcp = bind_loopback(SOCK_STREAM, port, tcp_port);
    if (tcp < 0 || ::listen(tcp, 64) != 0) {
      if (tcp >= 0) ::close(tcp);
      ::close(udp);
      continue;
    }
    udp_ = udp;
    tcp_ = tcp;
    port_ = port;
  }
}

BlackholePort::~BlackholePort() {
  if (udp_ >= 0) ::close(udp_);
  if (tcp_ >= 0) ::close(tcp_);
}

}  // namespace beacon::test
