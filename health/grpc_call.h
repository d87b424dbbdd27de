// One unary gRPC call over HTTP/2 as a byte-in/byte-out state machine: nghttp2's client
// session in memory mode, with no socket of its own. The gRPC probe (grpc_probe.cc) moves
// the bytes between it and a TCP or TLS stream and owns the deadline; tests can drive it
// with canned bytes. Internal to health/.
//
// What a hostile or broken server can make it hold is bounded: the response message (by
// grpc_wire::MessageReader), grpc-message (1 KiB), and the total bytes received
// (kMaxReceived) after which the call fails. Malformed HTTP/2 is a failed call, never a crash.
//
// Not thread-safe: one GrpcCall per probe run, used from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "health/grpc_wire.h"

struct nghttp2_session;

namespace beacon::health {

class GrpcCall {
 public:
  static constexpr size_t kMaxReceived = 256 * 1024;

  // `authority` is the :authority header (host:port), `body` the framed request message;
  // `timeout_ms` becomes grpc-timeout when positive.
  GrpcCall(std::string authority, bool tls, std::string path, std::string body, int64_t timeout_ms);
  ~GrpcCall();
  GrpcCall(const GrpcCall&) = delete;
  GrpcCall& operator=(const GrpcCall&) = delete;

  // Bytes to send to the server now (connection preface, SETTINGS, the request, acks and
  // window updates). Empty when there is nothing to send.
  std::string take_output();
  // Bytes read from the server. False once the call has failed (failure() says why).
  bool receive(std::string_view bytes);
  // The server closed the connection.
  void eof();

  // The stream is closed (answered, reset) or the connection failed: nothing more to do.
  bool done() const { return closed_ || !failure_.empty(); }
  // A failure of the call as a whole (not HTTP/2, connection closed early, too much data, a
  // bad message) or empty; failure_code() is the gRPC code grpc-go would report for it.
  const std::string& failure() const { return failure_; }
  int64_t failure_code() const { return failure_code_; }

  // What came back, valid once done().
  int http_status() const { return http_status_; }
  const std::string& content_type() const { return content_type_; }
  std::optional<int64_t> grpc_status() const { return grpc_status_; }
  const std::string& grpc_message() const { return grpc_message_; }
  const grpc_wire::MessageReader& reader() const { return reader_; }
  uint32_t reset_code() const { return reset_code_; }  // RST_STREAM's error code, 0 if none

 private:
  struct Callbacks;  // nghttp2 callbacks, in grpc_call.cc
  nghttp2_session* session_ = nullptr;
  std::string body_;
  size_t body_sent_ = 0;
  int32_t stream_id_ = -1;
  size_t received_ = 0;
  bool closed_ = false;
  std::string failure_;
  int64_t failure_code_ = 14;  // Unavailable
  void fail(int64_t code, std::string why);
  int http_status_ = 0;
  std::string content_type_;
  std::optional<int64_t> grpc_status_;
  std::string grpc_message_;
  grpc_wire::MessageReader reader_;
  uint32_t reset_code_ = 0;
};

}  // namespace beacon::health
