// GrpcCall, the gRPC probe's HTTP/2 client, fed hand-made server frames: a normal answer,
// a trailers-only error, a reset stream, and hostile peers (not HTTP/2 at all, a 4 GiB
// message, endless frames) that must end the call with a bounded amount of memory.
#include "health/grpc_call.h"

#include <catch2/catch.hpp>

#include <string>

namespace beacon::health {
namespace {

using namespace std::string_literals;

constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPing = 6;
constexpr uint8_t kEndStream = 1, kEndHeaders = 4;

std::string frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  std::string out;
  auto n = static_cast<uint32_t>(payload.size());
  out += static_cast<char>(n >> 16);
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(n);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((stream >> shift) & 0xFF);
  return out + payload;
}

// HPACK, literal without indexing and a new name (RFC 7541 6.2.2); lengths below 127.
std::string literal(const std::string& name, const std::string& value) {
  return "\x00"s + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
}

// ":status: 200" is static-table entry 8; content-type is entry 31, as a literal.
const std::string kResponseHeaders = "\x88"s + "\x0f\x10"s + "\x10" "application/grpc";

std::string server_settings() { return frame(kSettings, 0, 0, ""); }

GrpcCall started_call() {
  return GrpcCall("127.0.0.1:9", false, "/grpc.health.v1.Health/Check", "\0\0\0\0\0"s, 1000);
}

}  // namespace

TEST_CASE("gRPC call sends the preface and a POST, and reads a SERVING answer", "[grpc][call]") {
  GrpcCall call = started_call();
  std::string out = call.take_output();
  CHECK(out.starts_with("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  // Then SETTINGS, and the request's HEADERS and DATA (HPACK-compressed: not greppable).
  CHECK(out.find("\0\0\0\0\0"s) != std::string::npos);  // the request message, in a DATA frame
  CHECK_FALSE(call.done());

  REQUIRE(call.receive(server_settings() + frame(kHeaders, kEndHeaders, 1, kResponseHeaders)));
  REQUIRE(call.receive(frame(kData, 0, 1, "\0\0\0\0\x02\x08\x01"s)));
  CHECK_FALSE(call.done());
  REQUIRE(call.receive(frame(kHeaders, kEndHeaders | kEndStream, 1, literal("grpc-status", "0"))));
  CHECK(call.done());
  CHECK(call.failure().empty());
  CHECK(call.http_status() == 200);
  CHECK(call.content_type() == "application/grpc");
  CHECK(call.grpc_status() == 0);
  REQUIRE(call.reader().complete());
  CHECK(grpc_wire::decode_check_response(call.reader().message()) == grpc_wire::kServing);
}

TEST_CASE("gRPC call reads a trailers-only error with its message", "[grpc][call]") {
  GrpcCall call = started_call();
  call.take_output();
  REQUIRE(call.receive(server_settings() +
                       frame(kHeaders, kEndHeaders | kEndStream, 1,
                             kResponseHeaders + literal("grpc-status", "5") +
                                 literal("grpc-message", "unknown%20service"))));
  CHECK(call.done());
  CHECK(call.failure().empty());
  CHECK(call.grpc_status() == 5);
  CHECK(call.grpc_message() == "unknown service");
  CHECK_FALSE(call.reader().complete());
}

TEST_CASE("gRPC call ends on a reset stream and on a closed connection", "[grpc][call]") {
  GrpcCall reset = started_call();
  reset.take_output();
  REQUIRE(reset.receive(server_settings() + frame(kRstStream, 0, 1, "\0\0\0\x07"s)));
  CHECK(reset.done());
  CHECK(reset.reset_code() == 7);
  CHECK_FALSE(reset.grpc_status().has_value());

  GrpcCall closed = started_call();
  closed.take_output();
  REQUIRE(closed.receive(server_settings()));
  closed.eof();
  CHECK(closed.done());
  CHECK(closed.failure() == "error reading from server: EOF");
  CHECK(closed.failure_code() == 14);
}

TEST_CASE("gRPC call fails cleanly on a peer that does not speak HTTP/2", "[grpc][call]") {
  GrpcCall call = started_call();
  call.take_output();
  call.receive("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  call.take_output();  // the GOAWAY, if nghttp2 got that far
  CHECK(call.done());
  CHECK_FALSE(call.failure().empty());

  GrpcCall bad_frame = started_call();  // a HEADERS frame whose HPACK block is garbage
  bad_frame.take_output();
  bad_frame.receive(server_settings() + frame(kHeaders, kEndHeaders, 1, "\xff\xff\xff\xff\xff"s));
  bad_frame.take_output();
  CHECK(bad_frame.done());
  CHECK_FALSE(bad_frame.failure().empty());
}

TEST_CASE("gRPC call refuses a huge message and endless data", "[grpc][call]") {
  GrpcCall huge = started_call();
  huge.take_output();
  REQUIRE(huge.receive(server_settings() + frame(kHeaders, kEndHeaders, 1, kResponseHeaders)));
  CHECK_FALSE(huge.receive(frame(kData, 0, 1, "\0\x40\0\0\0"s + std::string(100, 'x'))));  // 1 GiB
  CHECK(huge.done());
  CHECK(huge.failure_code() == 8);  // ResourceExhausted
  CHECK(huge.failure().starts_with("grpc: received message larger than max"));

  // PINGs forever: each is legal, but the call stops reading after kMaxReceived bytes.
  GrpcCall pings = started_call();
  pings.take_output();
  REQUIRE(pings.receive(server_settings()));
  const std::string ping = frame(kPing, 0, 0, "12345678");
  size_t sent = 0;
  bool refused = false;
  while (sent <= 2 * GrpcCall::kMaxReceived && !refused) {
    refused = !pings.receive(ping);
    pings.take_output();  // the acks, as the probe would write them
    sent += ping.size();
  }
  CHECK(refused);
  CHECK(pings.done());
  CHECK(sent <= GrpcCall::kMaxReceived + ping.size());
}

}  // namespace beacon::health
