// The gRPC health-check bytes without a network: the request as protobuf in gRPC framing,
// the bounded response reader, the response decoder on valid and hostile input, and the
// names that appear in check output.
#include "health/grpc_wire.h"

#include <catch2/catch.hpp>

#include <string>

namespace beacon::health::grpc_wire {
namespace {

using namespace std::string_literals;

}  // namespace

TEST_CASE("gRPC health request is one uncompressed framed HealthCheckRequest", "[grpc][wire]") {
  CHECK(encode_check_request("") == "\0\0\0\0\0"s);  // proto3 omits an empty string
  CHECK(encode_check_request("api") == "\0\0\0\0\x05\x0a\x03" "api"s);
  std::string long_name(200, 's');  // a two-byte length varint: 200 = 0xC8 0x01
  std::string framed = encode_check_request(long_name);
  REQUIRE(framed.size() == 5 + 3 + 200);
  CHECK(framed.substr(0, 9) == "\0\0\0\0\xCB\x0a\xC8\x01s"s);
}

TEST_CASE("gRPC health response decoding", "[grpc][wire]") {
  CHECK(decode_check_response("") == kUnknown);  // status 0 is omitted on the wire
  CHECK(decode_check_response("\x08\x01") == kServing);
  CHECK(decode_check_response("\x08\x02") == kNotServing);
  CHECK(decode_check_response("\x08\x03") == kServiceUnknown);
  // Unknown fields of every wire type are skipped; the last status wins, as in protobuf.
  CHECK(decode_check_response("\x12\x02" "ab" "\x19" "12345678" "\x25" "1234" "\x08\x01"s) == kServing);
  CHECK(decode_check_response("\x08\x01\x08\x02") == kNotServing);
  // A negative enum is a 10-byte varint.
  CHECK(decode_check_response("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01") == -1);

  // Malformed: truncated varints and lengths, overlong varints, groups, field 0, wrong type.
  for (const std::string& bad : {"\x08"s, "\x08\x80"s, "\x12\x05" "ab"s, "\x19" "1234"s, "\x25\x01"s,
                                 "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s,
                                 "\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"s, "\x0b"s, "\x00\x01"s,
                                 "\x0a\x01\x01"s, "\x0f"s}) {
    INFO("input bytes: " << bad.size());
    CHECK_FALSE(decode_check_response(bad).has_value());
  }
}

TEST_CASE("gRPC message reader takes a message however it is split", "[grpc][wire]") {
  const std::string framed = "\0\0\0\0\x02\x08\x01"s;
  for (size_t split = 0; split <= framed.size(); ++split) {
    MessageReader reader;
    REQUIRE(reader.feed(framed.substr(0, split)));
    REQUIRE(reader.feed(framed.substr(split)));
    CHECK(reader.complete());
    CHECK(reader.message() == "\x08\x01");
  }
  MessageReader one_by_one;
  for (char c : framed) REQUIRE(one_by_one.feed(std::string(1, c)));
  CHECK(one_by_one.complete());

  MessageReader empty;  // an UNKNOWN response is an empty message
  REQUIRE(empty.feed("\0\0\0\0\0"s));
  CHECK(empty.complete());
  CHECK(empty.message().empty());
}

TEST_CASE("gRPC message reader refuses what would make it grow without bound", "[grpc][wire]") {
  MessageReader huge(1024);  // a 4 GiB length prefix is refused before anything is kept
  CHECK_FALSE(huge.feed("\0\xff\xff\xff\xff"s));
  CHECK(huge.error() == "received message larger than max (4294967295 vs. 1024)");
  CHECK_FALSE(huge.feed("more"));  // stays failed

  MessageReader compressed;
  CHECK_FALSE(compressed.feed("\x01\0\0\0\x02\x08\x01"s));
  CHECK(compressed.error().find("compressed") != std::string::npos);

  MessageReader two;  // a unary call has one response message: endless data stops here
  CHECK_FALSE(two.feed("\0\0\0\0\x02\x08\x01\0\0\0\0\x02\x08\x01"s));
  CHECK(two.error() == "received more than one response message for a unary call");
  CHECK(two.message() == "\x08\x01");

  MessageReader at_limit(2);
  CHECK(at_limit.feed("\0\0\0\0\x02\x08\x01"s));
  CHECK(at_limit.complete());
}

TEST_CASE("gRPC names in check output follow grpc-go", "[grpc][wire]") {
  CHECK(serving_status_name(kServing) == "SERVING");
  CHECK(serving_status_name(kNotServing) == "NOT_SERVING");
  CHECK(serving_status_name(kServiceUnknown) == "SERVICE_UNKNOWN");
  CHECK(serving_status_name(kUnknown) == "UNKNOWN");
  CHECK(serving_status_name(7) == "7");
  CHECK(code_name(0) == "OK");
  CHECK(code_name(4) == "DeadlineExceeded");
  CHECK(code_name(5) == "NotFound");
  CHECK(code_name(14) == "Unavailable");
  CHECK(code_name(16) == "Unauthenticated");
  CHECK(code_name(17) == "Code(17)");
  CHECK(percent_decode("unknown%20service") == "unknown service");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%zz%4") == "%zz%4");
  CHECK(percent_decode(std::string(5000, 'x')).size() == 1024);
}

}  // namespace beacon::health::grpc_wire
