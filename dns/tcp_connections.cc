// TcpConnections (dns/tcp_connections.h): LRU of open connections with per-client counts.
#include "dns/tcp_connections.h"

namespace beacon::dns {

TcpConnections::Handle TcpConnections::admit(std::shared_ptr<boost::asio::ip::tcp::socket> socket, std::string client,
                                             const Limits& limits) {
  uint32_t& held = per_client_[client];
  if (held >= limits.max_per_client) {
    if (held == 0) per_client_.erase(client);
    ++refused_;
    return nullptr;
  }
  while (!lru_.empty() && lru_.size() >= limits.max_total) {
    Handle oldest = lru_.front();
    unlist(*oldest);  // its session ends on the closed socket and finds it already gone
    ++evicted_;
    boost::system::error_code ec;
    oldest->socket->close(ec);
  }
  ++per_client_[client];  // `held` may dangle after unlist() erased an entry
  auto conn = std::make_shared<Conn>();
  conn->socket = std::move(socket);
  conn->client = std::move(client);
  conn->position = lru_.insert(lru_.end(), conn);
  conn->listed = true;
  return conn;
}

void TcpConnections::touch(const Handle& conn) {
  if (conn->listed) lru_.splice(lru_.end(), lru_, conn->position);
}

void TcpConnections::remove(const Handle& conn) { unlist(*conn); }

void TcpConnections::unlist(Conn& conn) {
  if (!conn.listed) return;
  conn.listed = false;
  lru_.erase(conn.position);
  auto it = per_client_.find(conn.client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

}  // namespace beacon::dns
