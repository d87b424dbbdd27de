// Hand-built DNS messages and a raw UDP/TCP client, for tests that send what dig will not:
// malformed headers, odd opcodes, EDNS versions, truncated packets.
//
// Nothing here validates what it builds; that is the point. Not thread-safe per call site
// (each call opens and closes its own socket, so separate calls are independent).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::test {

using Bytes = std::vector<uint8_t>;

// DNS header flag bits (the second 16-bit word).
inline constexpr uint16_t kQr = 0x8000;
inline constexpr uint16_t kRd = 0x0100;
inline constexpr uint16_t kOpcodeShift = 11;

struct QuerySpec {
  uint16_t id = 0x4242;
  uint16_t flags = kRd;         // the whole flags word: QR, opcode, AA, TC, RD, ...
  std::string qname = {};       // presentation form, e.g. "web.service.consul" (no escapes)
  uint16_t qtype = 1;           // A
  uint16_t qclass = 1;          // IN
  std::optional<uint8_t> edns_version = {};  // set: append an OPT record with this version
  uint16_t edns_udp_size = 1232;
};

// Encodes a name in presentation form as uncompressed wire labels (no length checks, so a
// label longer than 63 bytes is written as is).
Bytes encode_name(std::string_view name);

// A header (QDCOUNT 1, ARCOUNT 1 with EDNS) and one question, plus the OPT record if asked,
// as dns::encode_query writes them; a qname it refuses (an empty label, a label over 63
// bytes, over 255 bytes) goes in as encode_name writes it.
Bytes build_query(const QuerySpec& spec);

// Writes `value` big-endian at `at` (e.g. to patch QDCOUNT at offset 4).
void put_u16(Bytes& msg, size_t at, uint16_t value);

// Sends `msg` to 127.0.0.1:port over UDP (one datagram) or TCP (with the two-byte length
// prefix) and returns the reply message (without the TCP prefix), or nothing when no reply
// arrives within `timeout` or the connection is closed first.
std::optional<Bytes> send_raw(uint16_t port, const Bytes& msg, bool tcp,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));

// Writes all of `msgs` on one TCP connection in a single send (pipelined, each with its
// length prefix), then reads replies until `msgs.size()` have arrived, the connection closes
// or `timeout` passes. Returns the replies received, in arrival order.
std::vector<Bytes> send_raw_tcp_pipelined(uint16_t port, const std::vector<Bytes>& msgs,
                                          std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));

}  // namespace beacon::test
