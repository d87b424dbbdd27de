// gRPC health-check messages: protobuf by hand (two fields in all), gRPC message framing,
// and the names printed in check output. See grpc_wire.h.
#include "health/grpc_wire.h"

#include <array>

namespace beacon::health::grpc_wire {
namespace {

constexpr size_t kPrefix = 5;  // compressed flag, 4-byte big-endian length

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Reads a base-128 varint of at most 10 bytes; false when cut short or too long.
bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int i = 0; i < 10; ++i) {
    if (in.empty()) return false;
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (i == 9 && byte > 1) return false;  // would overflow 64 bits
    v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool skip(std::string_view& in, uint64_t n) {
  if (n > in.size()) return false;
  in.remove_prefix(static_cast<size_t>(n));
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string encode_check_request(std::string_view service) {
  std::string body;
  if (!service.empty()) {
    body += '\x0A';  // field 1, wire type 2 (length-delimited)
    put_varint(body, service.size());
    body += service;
  }
  std::string out;
  out.reserve(kPrefix + body.size());
  out += '\0';  // not compressed
  auto n = static_cast<uint32_t>(body.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  out += body;
  return out;
}

bool MessageReader::feed(std::string_view bytes) {
  if (!error_.empty()) return false;
  while (!bytes.empty()) {
    if (complete_) {
      error_ = "received more than one response message for a unary call";
      return false;
    }
    if (prefix_.size() < kPrefix) {
      size_t take = std::min(kPrefix - prefix_.size(), bytes.size());
      prefix_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (prefix_.size() < kPrefix) return true;
      if (prefix_[0] != '\0') {
        error_ = "received a compressed message, but no compression was offered";
        return false;
      }
      expected_ = 0;
      for (size_t i = 1; i < kPrefix; ++i) expected_ = expected_ << 8 | static_cast<uint8_t>(prefix_[i]);
      if (expected_ > max_) {
        error_ = "received message larger than max (" + std::to_string(expected_) + " vs. " + std::to_string(max_) + ")";
        return false;
      }
      message_.reserve(expected_);
    }
    size_t take = std::min(expected_ - message_.size(), bytes.size());
    message_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (message_.size() == expected_) complete_ = true;
  }
  return true;
}

std::optional<int64_t> decode_check_response(std::string_view in) {
  int64_t status = kUnknown;
  while (!in.empty()) {
    uint64_t key = 0, value = 0;
    if (!get_varint(in, key)) return std::nullopt;
    uint64_t field = key >> 3;
    if (field == 0) return std::nullopt;
    if (field == 1 && (key & 7) != 0) return std::nullopt;  // status must be a varint
    switch (key & 7) {
      case 0:  // varint
        if (!get_varint(in, value)) return std::nullopt;
        // An enum is an int32 on the wire: negative values come as 10-byte varints.
        if (field == 1) status = static_cast<int32_t>(static_cast<uint32_t>(value));
        break;
      case 1:  // fixed64
        if (!skip(in, 8)) return std::nullopt;
        break;
      case 2:  // length-delimited
        if (!get_varint(in, value) || !skip(in, value)) return std::nullopt;
        break;
      case 5:  // fixed32
        if (!skip(in, 4)) return std::nullopt;
        break;
      default:  // 3, 4: groups (deprecated, never in this message); 6, 7: not wire types
        return std::nullopt;
    }
  }
  return status;
}

std::string serving_status_name(int64_t status) {
  switch (status) {
    case kUnknown: return "UNKNOWN";
    case kServing: return "SERVING";
    case kNotServing: return "NOT_SERVING";
    case kServiceUnknown: return "SERVICE_UNKNOWN";
  }
  return std::to_string(status);  // as Go's protobuf enum String() for unknown values
}

std::string code_name(int64_t code) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",           "Canceled",          "Unknown",            "InvalidArgument", "DeadlineExceeded",
      "NotFound",     "AlreadyExists",     "PermissionDenied",   "ResourceExhausted",
      "FailedPrecondition", "Aborted",     "OutOfRange",         "Unimplemented",   "Internal",
      "Unavailable",  "DataLoss",          "Unauthenticated"};
  if (code >= 0 && code < static_cast<int64_t>(kNames.size())) return kNames[static_cast<size_t>(code)];
  return "Code(" + std::to_string(code) + ")";
}

std::string percent_decode(std::string_view text, size_t max) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max; ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace beacon::health::grpc_wire
