#include "tests/support/http_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace beacon::test {
namespace {

int listen_loopback(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// Waits up to 100 ms for a connection; returns it or -1.
int accept_some(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 100) != 1) return -1;
  return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

HttpTarget::HttpTarget() {
  fd_ = listen_loopback(port_);
  thread_ = std::thread([this] { run(); });
}
HttpTarget::~HttpTarget() { stop(); }

std::string HttpTarget::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpTarget::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void HttpTarget::run() {
  while (!stopping_.load()) {
    int c = accept_some(fd_);
    if (c < 0) continue;
    // Read the request head (checks send small requests), then answer and close.
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 1000) != 1) break;
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    int status = status_.load();
    std::string body = "target says " + std::to_string(status);
    std::string resp = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                       "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
    ssize_t unused = ::write(c, resp.data(), resp.size());
    (void)unused;
    ++requests_;
    ::close(c);
  }
}

TcpTarget::TcpTarget() {
  fd_ = listen_loopback(port_);
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      int c = accept_some(fd_);
      if (c >= 0) ::close(c);
    }
  });
}
TcpTarget::~TcpTarget() { stop(); }

void TcpTarget::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

}  // namespace beacon::test
