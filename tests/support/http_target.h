// Small servers on 127.0.0.1 that health checks probe in integration tests.
//
// HttpTarget answers every HTTP request with the status set by set_status() and a short
// body; TcpTarget accepts and closes connections while open. Each runs its own thread on
// a port the OS picks; stop() (or the destructor) closes the socket and joins the thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace beacon::test {

class HttpTarget {
 public:
  HttpTarget();
  ~HttpTarget();
  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/health") const;
  void set_status(int status) { status_.store(status); }
  int requests() const { return requests_.load(); }
  void stop();

 private:
  void run();
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class TcpTarget {
 public:
  TcpTarget();
  ~TcpTarget();
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void stop();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace beacon::test
