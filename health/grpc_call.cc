// One unary gRPC call on nghttp2's client session in memory mode (see grpc_call.h). nghttp2
// does the HTTP/2 framing, HPACK, flow control and protocol checks; this file adds the gRPC
// request headers, keeps the response headers and trailers the probe needs, and bounds what
// the peer can make it hold.
#include "health/grpc_call.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>

namespace beacon::health {
namespace {

constexpr size_t kMaxContentType = 256;
constexpr int64_t kResourceExhausted = 8, kInternal = 13, kUnavailable = 14;  // gRPC codes
constexpr size_t kMaxGrpcMessage = 1024;

nghttp2_nv header(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

// Digits only, at most 10 of them (gRPC codes are small; anything else is malformed).
std::optional<int64_t> parse_code(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

struct GrpcCall::Callbacks {
  static GrpcCall& self(void* user_data) { return *static_cast<GrpcCall*>(user_data); }

  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source*, void* user_data) {
    GrpcCall& c = self(user_data);
    size_t n = std::min(length, c.body_.size() - c.body_sent_);
    std::copy_n(c.body_.data() + c.body_sent_, n, buf);
    c.body_sent_ += n;
    if (c.body_sent_ == c.body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
    GrpcCall& c = self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != c.stream_id_) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      if (auto code = parse_code(v); code && *code < 1000) c.http_status_ = static_cast<int>(*code);
    } else if (n == "content-type") {
      c.content_type_ = v.substr(0, kMaxContentType);
    } else if (n == "grpc-status") {
      if (auto code = parse_code(v)) {
        c.grpc_status_ = *code;
      } else {
        c.grpc_status_ = 13;  // Internal, as grpc-go reports a malformed grpc-status
        c.grpc_message_ = "transport: malformed grpc-status: " + std::string(v.substr(0, 32));
      }
    } else if (n == "grpc-message" && !(c.grpc_status_ && c.grpc_message_.starts_with("transport:"))) {
      c.grpc_message_ = grpc_wire::percent_decode(v, kMaxGrpcMessage);
    }
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user_data) {
    GrpcCall& c = self(user_data);
    if (stream_id != c.stream_id_) return 0;
    if (!c.reader_.feed(std::string_view(reinterpret_cast<const char*>(data), len))) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;  // the reader says why; the connection is done
    }
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
    GrpcCall& c = self(user_data);
    if (stream_id != c.stream_id_) return 0;
    c.closed_ = true;
    c.reset_code_ = error_code;
    return 0;
  }
};

GrpcCall::GrpcCall(std::string authority, bool tls, std::string path, std::string body, int64_t timeout_ms)
    : body_(std::move(body)) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) {
    fail(kResourceExhausted, "out of memory");
    return;
  }
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_close);
  int rv = nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    fail(kInternal, std::string("cannot start an HTTP/2 session: ") + nghttp2_strerror(rv));
    return;
  }
  std::array<nghttp2_settings_entry, 2> settings = {{{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                                     {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16 * 1024}}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());

  std::string timeout = std::to_string(timeout_ms) + "m";  // grpc-timeout: at most 8 digits
  if (timeout.size() > 9) timeout = "99999999m";
  std::array<nghttp2_nv, 9> nva = {
      header(":method", "POST"),
      header(":scheme", tls ? "https" : "http"),
      header(":path", path),
      header(":authority", authority),
      header("content-type", "application/grpc"),
      header("te", "trailers"),
      header("user-agent", "beacon-health-check"),
      header("grpc-accept-encoding", "identity"),
      header("grpc-timeout", timeout),
  };
  size_t count = timeout_ms > 0 ? nva.size() : nva.size() - 1;
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_body;
  stream_id_ = nghttp2_submit_request(session_, nullptr, nva.data(), count, &provider, this);
  if (stream_id_ < 0) fail(kInternal, std::string("cannot submit the request: ") + nghttp2_strerror(stream_id_));
}

GrpcCall::~GrpcCall() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

std::string GrpcCall::take_output() {
  std::string out;
  if (session_ == nullptr || !failure_.empty()) return out;
  while (true) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      fail(kUnavailable, std::string("connection error: HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
      return {};
    }
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  // A peer that broke the protocol gets a GOAWAY (in `out`), after which nghttp2 wants
  // nothing more: the stream will never finish.
  if (!closed_ && nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    fail(kUnavailable, "connection error: the HTTP/2 session was terminated (protocol error or GOAWAY)");
  }
  return out;
}

bool GrpcCall::receive(std::string_view bytes) {
  if (session_ == nullptr || !failure_.empty()) return false;
  received_ += bytes.size();
  if (received_ > kMaxReceived) {
    fail(kResourceExhausted, "the server sent more than " + std::to_string(kMaxReceived / 1024) + " KiB");
    return false;
  }
  ssize_t n = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (n < 0) {
    if (!reader_.error().empty()) {
      fail(reader_.error().starts_with("received message larger") ? kResourceExhausted : kInternal,
           "grpc: " + reader_.error());
    } else {
      fail(kUnavailable, std::string("connection error: HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
    }
    return false;
  }
  return true;
}

void GrpcCall::eof() {
  if (!done()) fail(kUnavailable, "error reading from server: EOF");
}

void GrpcCall::fail(int64_t code, std::string why) {
  if (!failure_.empty()) return;  // the first failure is the cause
  failure_code_ = code;
  failure_ = std::move(why);
}

}  // namespace beacon::health
