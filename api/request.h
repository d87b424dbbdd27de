// beacon::api request and response values: what a handler reads and what it returns.
//
// The HTTP layer (http_server.cc) turns a Beast request into a Request (path percent-decoded,
// query split into decoded pairs, the ACL token picked out of its three places) and a
// Response back into Beast; handlers see neither Beast nor sockets. Value types, no thread
// affinity.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/acl.h"
#include "catalog/store.h"

namespace beacon::api {

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string body;
  // The secret from `X-Consul-Token`, `Authorization: Bearer <secret>` or `?token=` (in that
  // order of preference); empty when none was sent. Never log it.
  std::string token;
  std::map<std::string, std::string> params;  // ":name" path segments, filled by the router
  Identity identity;                          // who is asking, filled before the handler runs

  // True when the query has `name` (with or without a value: `?pretty` counts).
  bool has(std::string_view name) const;
  // The first value of `name`; nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of `name` (`?tag=a&tag=b`), in order.
  std::vector<std::string> all(std::string_view name) const;
  // A boolean flag as Consul reads it: absent is false; present with no value, "true" or "1"
  // is true; "false" or "0" is false; anything else is true (presence).
  bool flag(std::string_view name) const;
  // The path parameter `name` (empty when the route has none by that name).
  const std::string& param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // A write to make durable before this response is sent (group commit); when it fails the
  // client gets a 500 with the store's reason instead.
  std::vector<catalog::Op> commit;

  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// A Consul-style error: the reason as plain text.
Response text_error(int status, std::string reason);
// A JSON body already encoded.
Response json_body(std::string json, int status = 200);

// Parameters of a blocking read (`?index=N&wait=D`).
struct BlockingParams {
  uint64_t index = 0;                   // 0: answer at once
  std::chrono::milliseconds wait{0};  // default 5m, at most 10m (jitter is added later)
};
// Reads `index` and `wait` from the query. Errors are the 400 reason ("Invalid wait time:
// ..." or "Invalid index: ..."). A wait above 10 minutes is clamped to 10 minutes. A
// `?filter=` expression that does not parse is refused here too, so that a blocking query
// with a bad filter answers 400 at once rather than after its wait (as Consul does).
std::expected<BlockingParams, std::string> parse_blocking(const Request& request);

// Percent-decodes `text`; with `plus_is_space`, '+' becomes ' ' (query strings). Malformed
// escapes are kept as written.
std::string percent_decode(std::string_view text, bool plus_is_space);
// Splits "a=1&b&c=%20" into decoded pairs.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace beacon::api
