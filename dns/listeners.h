// beacon::dns listeners: the UDP and TCP servers of one DNS address, bound on the same port.
//
// With port 0 the UDP socket picks a free port and TCP takes the same one; when another
// process holds that TCP port, both are bound again (up to 20 times). Control thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "dns/snapshot.h"
#include "dns/tcp_server.h"
#include "dns/udp_server.h"
#include "dns/zone.h"

namespace beacon::dns {

struct Listeners {
  std::unique_ptr<UdpServer> udp;
  std::unique_ptr<TcpServer> tcp;
};

// Binds UDP (with `udp_workers` workers) and TCP on address:port, both answering from
// `zones`. Neither is started. A message naming the address on failure.
std::expected<Listeners, std::string> bind_listeners(boost::asio::io_context& io, const std::string& address,
                                                     uint16_t port, unsigned udp_workers,
                                                     SnapshotHolder<Zone>& zones);

}  // namespace beacon::dns
