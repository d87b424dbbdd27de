// beacon::dns::TcpConnections: the open DNS-over-TCP connections, for fair admission.
//
// Each connection is kept in least-recently-active order with its client's address. A new
// connection from a client that already holds `max_per_client` is refused; when the table
// holds `max_total`, the longest-idle connection is closed to admit the new one (as NSD and
// Unbound do), so one client that opens and holds many idle connections cannot lock others
// out: it only loses its own oldest ones. Runs on the TCP server's io_context thread; not
// thread-safe.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace beacon::dns {

class TcpConnections {
 public:
  struct Conn;
  using Handle = std::shared_ptr<Conn>;

  struct Limits {
    uint32_t max_total = 1024;
    uint32_t max_per_client = 128;
  };

  // Admits `socket` from client `client` (its address, as text), closing the longest-idle
  // connection when the table is full. Null when the client is at its own limit (the
  // caller closes the socket).
  Handle admit(std::shared_ptr<boost::asio::ip::tcp::socket> socket, std::string client, const Limits& limits);
  // The connection answered a query: it becomes the most recently active.
  void touch(const Handle& conn);
  // The connection's session ended.
  void remove(const Handle& conn);

  size_t size() const { return lru_.size(); }
  // Connections closed to admit others, and connections refused at a client's limit.
  uint64_t evicted() const { return evicted_; }
  uint64_t refused() const { return refused_; }

  struct Conn {
    std::shared_ptr<boost::asio::ip::tcp::socket> socket;
    std::string client;
    std::list<Handle>::iterator position;
    bool listed = false;
  };

 private:
  void unlist(Conn& conn);

  std::list<Handle> lru_;  // front: least recently active
  std::unordered_map<std::string, uint32_t> per_client_;
  uint64_t evicted_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace beacon::dns
