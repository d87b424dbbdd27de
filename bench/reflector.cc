// reflector: the ceiling for a one-core UDP DNS server on this machine. It does no DNS work:
// it reads up to 32 datagrams with one recvmmsg, sets QR in each, and sends them back with
// one sendmmsg. Binds 127.0.0.1 only.
//
//   reflector [--port 0] [--seconds 600]
// Prints "listening on 127.0.0.1:PORT" to stderr once bound, then runs until SIGTERM/SIGINT
// or --seconds (at most 3600).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr int kBatch = 32;
constexpr size_t kBuf = 4096;

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long seconds = 600;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port") port = std::atoi(argv[i + 1]);
    else if (k == "--seconds") seconds = std::atol(argv[i + 1]);
    else { std::fprintf(stderr, "usage: reflector [--port P] [--seconds S]\n"); return 2; }
  }
  if (seconds < 1 || seconds > 3600 || port < 0 || port > 65535) return 2;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{0, 200 * 1000};  // wake up to notice a signal or the deadline
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { perror("bind"); return 1; }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::fprintf(stderr, "reflector: listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
  std::fflush(stderr);

  static unsigned char bufs[kBatch][kBuf];
  sockaddr_in peers[kBatch];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  const std::time_t deadline = std::time(nullptr) + seconds;
  unsigned long long echoed = 0;
  while (!g_stop && std::time(nullptr) < deadline) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], kBuf};
      std::memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_name = &peers[i];
      msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_len >= 12) bufs[i][2] |= 0x80;  // QR
      iov[i].iov_len = msgs[i].msg_len;
    }
    int sent = 0;
    while (sent < n) {
      int k = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), 0);
      if (k <= 0) break;
      sent += k;
    }
    echoed += static_cast<unsigned long long>(n);
  }
  std::fprintf(stderr, "reflector: echoed %llu\n", echoed);
  close(fd);
  return 0;
}
