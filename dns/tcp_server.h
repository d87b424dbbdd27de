// beacon::dns::TcpServer: DNS over TCP (RFC 7766) on an Asio io_context.
//
// Each connection reads length-prefixed queries one after another (pipelined queries are
// answered in order), answers each completely (up to 65535 bytes, never TC), and is
// closed after `idle_timeout` without a complete query. Admission is fair
// (dns/tcp_connections.h): a client holding `max_connections_per_client` gets no more, and
// past `max_connections` the longest-idle connection is closed to admit a new one. Runs on the io_context it is given (the control
// thread); all methods must be called from that context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dns/recursor.h"
#include "dns/snapshot.h"
#include "dns/stats.h"
#include "dns/tcp_connections.h"
#include "dns/zone.h"

namespace beacon::dns {

class TcpServer {
 public:
  struct Options {
    std::chrono::milliseconds idle_timeout{10000};
    uint32_t max_connections = 1024;
    uint32_t max_connections_per_client = 128;
  };

  // Binds and listens on address:port (port 0: ephemeral). Returns a message on failure.
  static std::expected<std::unique_ptr<TcpServer>, std::string> bind(boost::asio::io_context& io,
                                                                      const std::string& address, uint16_t port,
                                                                      const SnapshotHolder<Zone>& zone);
  ~TcpServer();

  uint16_t port() const { return port_; }
  // Takes effect for connections accepted afterwards.
  void set_options(const Options& options) { options_ = options; }
  // Out-of-zone questions from allowed clients go to `recursor` over TCP (it must outlive
  // this server); others get REFUSED. Call before start().
  void set_recursor(Recursor* recursor) { recursor_ = recursor; }
  // Starts accepting.
  void start();
  // Stops accepting. Open connections end with their idle timeout or when the io_context
  // stops.
  void stop();
  uint32_t open_connections() const { return static_cast<uint32_t>(connections_->size()); }
  // Connections closed to admit others (the cap was reached) and refused at a client's limit.
  uint64_t evicted_connections() const { return connections_->evicted(); }
  uint64_t refused_connections() const { return connections_->refused(); }
  const Counters& counters() const { return *counters_; }

 private:
  TcpServer(boost::asio::io_context& io, boost::asio::ip::tcp::acceptor acceptor, const SnapshotHolder<Zone>& zone);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const SnapshotHolder<Zone>& zone_;
  uint16_t port_;
  Options options_;
  std::shared_ptr<TcpConnections> connections_;
  std::shared_ptr<Counters> counters_;
  std::shared_ptr<bool> stopped_;
  Recursor* recursor_ = nullptr;
};

}  // namespace beacon::dns
