// The bytes of a gRPC health check (grpc.health.v1.Health/Check) without the transport: the
// request message hand-encoded as protobuf inside gRPC's 5-byte message framing, a bounded
// reader that cuts the response message out of the DATA bytes, the response decoder, and the
// names Consul (grpc-go) prints for serving statuses and status codes. Internal to health/:
// the gRPC probe (grpc_probe.cc, grpc_call.cc) uses it, and tests/health/grpc_wire_test.cc.
//
// Pure functions and a value type with no shared state: safe from any thread; one
// MessageReader per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::health::grpc_wire {

// HealthCheckResponse.ServingStatus values.
inline constexpr int64_t kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3;

// One gRPC message: compressed flag 0, 4-byte big-endian length, then
// HealthCheckRequest{ string service = 1; } (no field at all when `service` is empty, as
// protobuf encoders omit proto3 defaults).
std::string encode_check_request(std::string_view service);

// Collects the DATA bytes of one response and cuts out its first gRPC message. A message
// longer than `max_message`, one marked compressed (the probe offers no encodings) or a
// second message (a unary call has one) is an error. Memory stays below max_message + 5
// bytes whatever the peer sends.
class MessageReader {
 public:
  explicit MessageReader(size_t max_message = 16 * 1024) : max_(max_message) {}

  // False (and error() says why) once the bytes cannot be a valid unary response.
  bool feed(std::string_view bytes);
  bool complete() const { return complete_; }
  const std::string& message() const { return message_; }  // valid when complete()
  const std::string& error() const { return error_; }

 private:
  size_t max_;
  std::string prefix_;   // the 5-byte prefix as it arrives
  std::string message_;  // then the message
  std::string error_;
  size_t expected_ = 0;  // message length, once the prefix is in
  bool complete_ = false;
};

// HealthCheckResponse{ ServingStatus status = 1; }: the status (0 when absent, as proto3
// omits defaults), or nullopt when `message` is not valid protobuf. Unknown fields of any
// wire type are skipped; groups are refused.
std::optional<int64_t> decode_check_response(std::string_view message);

// "SERVING", "NOT_SERVING", ... or the number for values this version does not know.
std::string serving_status_name(int64_t status);

// grpc-go's codes.Code.String(): "OK", "NotFound", "Unavailable", ... or "Code(17)".
std::string code_name(int64_t code);

// grpc-message is percent-encoded (gRPC over HTTP/2, "Responses"); malformed escapes are
// kept as they are. At most `max` bytes are returned.
std::string percent_decode(std::string_view text, size_t max = 1024);

}  // namespace beacon::health::grpc_wire
