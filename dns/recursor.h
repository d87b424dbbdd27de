// beacon::dns::Recursor: forwards questions outside our domains to upstream resolvers.
//
// Built on c-ares (`ares_send` with the client's own message), with c-ares's sockets driven
// by the Asio io_context of the control thread: no thread ever blocks on an upstream. A reply
// with NOERROR or NXDOMAIN is relayed with the client's ID; SERVFAIL, REFUSED or a timeout
// moves on to the next recursor ("sequential", or a random order per query with
// "random"); when every recursor failed the client gets SERVFAIL with RA set. A truncated UDP
// reply is relayed with its TC bit, so the client retries over TCP, which is forwarded over
// TCP. At most `max_inflight` questions wait upstream at once; past that, SERVFAIL at once,
// so a flood of out-of-zone queries cannot exhaust memory.
//
// forward() and reconfigure() run on the control thread; forward_udp() may be called from any
// thread (a UDP worker): it copies the query and posts to the control thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace beacon::dns {

class Recursor {
 public:
  struct Options {
    std::vector<std::string> servers;  // "ip", "ip:port", "[v6]:port"; port 53 when omitted
    std::chrono::milliseconds timeout{2000};  // per recursor
    bool random = false;                       // "random" strategy instead of "sequential"
    uint32_t max_inflight = 1000;
  };

  // Sets up c-ares (without servers the recursor answers SERVFAIL to everything). Returns a
  // message when c-ares cannot be initialised or a server address is malformed.
  static std::expected<std::unique_ptr<Recursor>, std::string> create(boost::asio::io_context& io,
                                                                       const Options& options);
  ~Recursor();
  Recursor(const Recursor&) = delete;
  Recursor& operator=(const Recursor&) = delete;

  // Replaces the servers and settings (SIGHUP). Questions in flight get SERVFAIL.
  std::expected<void, std::string> reconfigure(const Options& options);

  // Called exactly once with the reply to send to the client (the upstream's, or SERVFAIL).
  using Done = std::function<void(std::span<const uint8_t> reply)>;
  // Forwards the client's complete message `query` over UDP (tcp=false) or TCP.
  void forward(std::span<const uint8_t> query, bool tcp, Done done);

  // For UDP workers: forwards `query` and sends the reply to `peer` with sendto(2) on `fd`.
  void forward_udp(int fd, const sockaddr_storage& peer, socklen_t peer_len, std::span<const uint8_t> query);

  size_t inflight() const;
  // Totals since start: relayed replies, SERVFAILs after upstream failures, and refusals
  // past max_inflight.
  uint64_t relayed() const;
  uint64_t failed() const;
  uint64_t shed() const;

 private:
  struct Impl;
  explicit Recursor(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace beacon::dns
