// PRIVATE to catalog/: a blocking client of etcd's v3 JSON gateway (HTTP/1.1 POSTs).
//
// One Client is one keep-alive connection to one endpoint at a time, used from one thread.
// Every exchange is bounded by the request timeout; a failure closes the connection and the
// next call moves on to the next endpoint, so a dead member costs one timeout, not a hang.
// https endpoints use TLS (optionally with a client certificate); with a user name the
// client authenticates and sends the token, re-authenticating once when etcd rejects it.
// Every request carries gRPC metadata "hasleader", so that etcd refuses requests (and ends
// watches) on a member that has lost its leader instead of serving from a partitioned one.
#pragma once

#include <atomic>
#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/store.h"

namespace beacon::catalog::etcd {

struct ClientOptions {
  std::vector<std::string> endpoints;  // "http://host:port" or "https://host:port"
  std::string ca_file, cert_file, key_file;
  std::string username, password;
  std::chrono::milliseconds timeout{3000};
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // POSTs `body` (JSON) to `path` ("/v3/kv/range") and returns the reply body. A reply
  // that is not 200 becomes an Error whose message is etcd's; Error{unavailable} for
  // network failures, timeouts and etcd's "no leader"/"timed out"/"unavailable" answers.
  std::expected<std::string, Error> call(std::string_view path, const std::string& body);

  // A streaming POST (watch): calls `on_message` with each complete JSON object of the
  // reply as it arrives, until it returns false (Ok), the stream ends or fails (Error), or
  // `stop` is set. A stream that sends nothing for `idle` is a failure (Error{unavailable}).
  std::expected<void, Error> stream(std::string_view path, const std::string& body,
                                    const std::function<bool(std::string_view)>& on_message,
                                    std::chrono::milliseconds idle, const std::atomic<bool>& stop);

  // Closes the connection from another thread, so that a blocked stream() returns.
  void interrupt();

  // The endpoint of the current (or next) connection.
  std::string endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Base64 (standard alphabet, padded), as the gateway encodes keys and values.
std::string base64_encode(std::string_view in);
std::expected<std::string, Error> base64_decode(std::string_view in);
// The range end that covers every key starting with `prefix` (prefix with its last byte
// below 0xff incremented; "\0" for an empty prefix, meaning all keys).
std::string prefix_end(std::string_view prefix);

}  // namespace beacon::catalog::etcd
