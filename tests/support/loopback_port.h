// Ports on 127.0.0.1 for tests that start third-party servers, which (unlike beacon) cannot
// be told to pick port 0 and report it back.
//
// pick_free_port() is inherently racy: the port is free when it returns, and another process
// may take it before the server binds it. Callers that start a server on it retry with a new
// port when the server fails to bind (DnsDaemon does). Not thread-safe per object; the free
// functions may be called from any thread.
#pragma once

#include <cstdint>

namespace beacon::test {

// A port that is free on 127.0.0.1 for both UDP and TCP at the time of the call: bound with
// port 0 over UDP, then checked over TCP, and both sockets closed. Returns 0 only when no such
// port was found after a few tries.
uint16_t pick_free_port();

// A UDP port on 127.0.0.1 where nothing listens: bound with port 0 and closed again, so a
// datagram sent there draws an ICMP port-unreachable (a "dead" upstream that refuses).
uint16_t closed_udp_port();

// A port on 127.0.0.1 where a UDP socket is bound and a TCP socket listens, and neither ever
// reads or answers: datagrams vanish, and TCP connections complete (the kernel's backlog
// accepts them) but get no reply. A client of it waits for its own timeout on either
// transport (a "dead" upstream that drops). Both sockets are closed on destruction.
class BlackholePort {
 public:
  BlackholePort();
  ~BlackholePort();
  BlackholePort(const BlackholePort&) = delete;
  BlackholePort& operator=(const BlackholePort&) = delete;

  // The bound port, or 0 when the sockets could not be created.
  uint16_t port() const { return port_; }

 private:
  int udp_ = -1;
  int tcp_ = -1;
  uint16_t port_ = 0;
};

}  // namespace beacon::test
