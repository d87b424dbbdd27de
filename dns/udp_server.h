// beacon::dns::UdpServer: the UDP query path.
//
// N worker threads, each with its own SO_REUSEPORT socket on the same address and port, so
// the kernel spreads datagrams over them and no two workers share anything but the zone
// snapshot holder. A worker receives up to 32 datagrams with one recvmmsg(2), answers them
// from the snapshot it loads once per batch, and sends the replies with one sendmmsg(2).
// Buffers and scratch memory are the worker's own and allocated once. start() and stop()
// are called from the control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dns/recursor.h"
#include "dns/snapshot.h"
#include "dns/stats.h"
#include "dns/zone.h"

namespace beacon::dns {

class UdpServer {
 public:
  // Binds `workers` sockets (at least 1) to address:port. With port 0 the first socket gets
  // an ephemeral port and the others share it. Returns a message naming the address on
  // failure (address not local, port in use, ...).
  static std::expected<std::unique_ptr<UdpServer>, std::string> bind(const std::string& address, uint16_t port,
                                                                      unsigned workers,
                                                                      const SnapshotHolder<Zone>& zone);
  ~UdpServer();

  uint16_t port() const { return port_; }
  // Out-of-zone questions from allowed clients go to `recursor` (which must outlive the
  // workers); others, and all of them without a recursor, get REFUSED. Call before start().
  void set_recursor(Recursor* recursor) { recursor_ = recursor; }
  // Starts the worker threads. REQUIRES: a zone has been published.
  void start();
  // Stops and joins the workers (they notice within 200 ms). Idempotent.
  void stop();
  // Sum of every worker's counters.
  uint64_t queries() const;

 private:
  UdpServer(std::vector<int> fds, uint16_t port, const SnapshotHolder<Zone>& zone);
  void run(size_t worker);

  std::vector<int> fds_;
  uint16_t port_;
  const SnapshotHolder<Zone>& zone_;
  std::atomic<bool> stopping_{false};
  Recursor* recursor_ = nullptr;
  std::vector<std::thread> threads_;
  std::unique_ptr<Counters[]> counters_;
};

}  // namespace beacon::dns
