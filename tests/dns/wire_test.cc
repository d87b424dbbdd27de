// The DNS wire library on its own (this executable links beacon_dns_wire and nothing else of
// beacon): the query encoder, byte for byte and through parse_query(), and the wire names.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "dns/wire/name.h"
#include "dns/wire/query.h"
#include "dns/wire/wire.h"

namespace beacon::dns::test {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes encode(const QueryParams& q, size_t cap = kMaxQueryMessage) {
  Bytes out(cap);
  out.resize(encode_query(q, out.data(), out.size()));
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kWebServiceConsul = {3,   'W', 'e', 'b', 7,   's', 'e', 'r', 'v', 'i',
                                 'c', 'e', 6,   'c', 'o', 'n', 's', 'u', 'l', 0};

TEST_CASE("encode_query writes a header, the question and nothing else", "[dns][wire]") {
  Bytes expected = concat({{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, kWebServiceConsul, {0, 33, 0, 1}});
  CHECK(encode({.id = 0x1234, .flags = kFlagRd, .qname = "Web.service.consul", .qtype = kTypeSrv}) == expected);
  // A trailing dot changes nothing; case is kept.
  CHECK(encode({.id = 0x1234, .flags = kFlagRd, .qname = "Web.service.consul.", .qtype = kTypeSrv}) == expected);
  // Defaults: ID 0, no flags (RD clear), A, IN.
  CHECK(encode({.qname = "Web.service.consul"}) ==
        concat({{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, kWebServiceConsul, {0, 1, 0, 1}}));
  // Any flag word and class go out as given.
  Bytes odd = encode({.id = 7, .flags = kFlagQr | (2 << 11), .qname = "x", .qtype = kTypeTxt, .qclass = 3});
  CHECK(odd == Bytes{0, 7, 0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 16, 0, 3});
}

TEST_CASE("encode_query appends an OPT record with the payload size, version and DO bit", "[dns][wire]") {
  Bytes head = {0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1};
  Bytes question = concat({kWebServiceConsul, {0, 1, 0, 1}});
  CHECK(encode({.id = 0xABCD, .flags = kFlagRd, .qname = "Web.service.consul", .edns = true}) ==
        concat({head, question, {0, 0, 41, 0x04, 0xD0, 0, 0, 0x00, 0x00, 0, 0}}));
  CHECK(encode({.id = 0xABCD,
                .flags = kFlagRd,
                .qname = "Web.service.consul",
                .edns = true,
                .edns_udp_size = 4096,
                .edns_version = 1,
                .edns_do = true}) == concat({head, question, {0, 0, 41, 0x10, 0x00, 0, 1, 0x80, 0x00, 0, 0}}));
}

TEST_CASE("encode_query and parse_query agree", "[dns][wire]") {
  for (bool edns : {false, true}) {
    QueryParams p{.id = 0xBEEF, .flags = kFlagRd | kFlagCd, .qname = "a-1.Web.service.dc1.consul", .qtype = kTypeAaaa,
                  .edns = edns, .edns_udp_size = 1400, .edns_do = edns};
    Bytes wire = encode(p);
    REQUIRE(!wire.empty());
    Query q;
    REQUIRE(parse_query(wire.data(), wire.size(), q) == ParseStatus::ok);
    CHECK(q.id == 0xBEEF);
    CHECK(q.flags == (kFlagRd | kFlagCd));
    CHECK(q.qtype == kTypeAaaa);
    CHECK(q.qclass == kClassIn);
    CHECK(q.question_end == wire.size() - (edns ? 11 : 0));
    CHECK(labels_to_text(std::string(reinterpret_cast<const char*>(q.lower), q.qname_len)) ==
          "a-1.web.service.dc1.consul.");
    CHECK(q.label_count == 5);
    CHECK(q.has_edns == edns);
    CHECK(q.edns_udp_size == (edns ? 1400 : 0));
    CHECK(q.edns_do == edns);
  }
}

TEST_CASE("encode_query refuses what is not a name, and messages that do not fit", "[dns][wire]") {
  std::string l63(63, 'a'), l61(61, 'd');
  for (const std::string& bad : std::vector<std::string>{"a..b", "..", ".a", "a..", std::string(64, 'a') + ".consul",
                                                         l63 + "." + l63 + "." + l63 + "." + l61 + ".e"}) {
    INFO(bad);
    CHECK(encode({.qname = bad}).empty());
  }
  // The limits themselves: a 63-byte label, a 255-byte name (the root byte included).
  std::string longest = l63 + "." + l63 + "." + l63 + "." + l61;
  CHECK(encode({.qname = l63}).size() == 12 + 65 + 4);
  CHECK(encode({.qname = longest, .edns = true}).size() == kMaxQueryMessage);
  // "" and "." are the root.
  for (const char* root : {"", "."})
    CHECK(encode({.qname = root}) == Bytes{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1});
  // Too small a buffer: nothing, however little is missing.
  CHECK(encode({.qname = "x"}, 12 + 3 + 4).size() == 19);
  CHECK(encode({.qname = "x"}, 12 + 3 + 3).empty());
  CHECK(encode({.qname = "x", .edns = true}, 12 + 3 + 4 + 10).empty());
  CHECK(encode({.qname = "x"}, 0).empty());
}

TEST_CASE("wire names: text to labels and back", "[dns][wire][name]") {
  CHECK(text_to_labels("Web.Service.consul.") == std::string("\3web\7service\6consul"));
  CHECK(!text_to_labels("a..b").has_value());
  CHECK(!text_to_labels(std::string(64, 'a')).has_value());
  CHECK(labels_to_text(std::string("\3web\6consul\0", 12)) == "web.consul.");
  CHECK(make_label("web") == std::string("\3web"));
  CHECK(!make_label("").has_value());
  CHECK(ascii_lower("Web-1.CONSUL") == "web-1.consul");
}

}  // namespace
}  // namespace beacon::dns::test
