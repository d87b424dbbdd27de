// DNS listeners on one port (dns/listeners.h).
#include "dns/listeners.h"

namespace beacon::dns {

std::expected<Listeners, std::string> bind_listeners(boost::asio::io_context& io, const std::string& address,
                                                     uint16_t port, unsigned udp_workers,
                                                     SnapshotHolder<Zone>& zones) {
  for (int attempt = 0;; ++attempt) {
    auto udp = UdpServer::bind(address, port, udp_workers, zones);
    if (!udp) return std::unexpected(udp.error());
    auto tcp = TcpServer::bind(io, address, (*udp)->port(), zones);
    if (!tcp) {
      if (port == 0 && attempt < 20) continue;
      return std::unexpected(tcp.error());
    }
    return Listeners{std::move(*udp), std::move(*tcp)};
  }
}

}  // namespace beacon::dns
