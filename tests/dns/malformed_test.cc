// Malformed and unusual requests: every one gets FORMERR, NOTIMP, REFUSED or is dropped,
// and none crashes or hangs (run under the sanitizer build as well).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <random>

#include "dns/wire/query.h"
#include "dns/wire/wire.h"
#include "dns/zone_builder.h"
#include "tests/dns/dns_fixture.h"

namespace beacon::dns::test {
namespace {

std::vector<uint8_t> header(uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0, uint16_t ar = 0) {
  return {0x12, 0x34, static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags), 0, static_cast<uint8_t>(qd),
          0, static_cast<uint8_t>(an), 0, static_cast<uint8_t>(ns), 0, static_cast<uint8_t>(ar)};
}

std::vector<uint8_t> with(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<uint8_t> kWebA = {3, 'w', 'e', 'b', 7, 's', 'e', 'r', 'v', 'i', 'c', 'e',
                                    6, 'c', 'o', 'n', 's', 'u', 'l', 0, 0, 1, 0, 1};

struct RawCase {
  const char* what;
  std::vector<uint8_t> wire;
  std::string rcode;  // "" means no reply
};

TEST_CASE("malformed requests get FORMERR or are dropped", "[dns][malformed]") {
  Fixture f;
  f.service("agent1", "web-1", "web", "10.1.0.1", 80);
  std::vector<uint8_t> long_label = header(0x0100, 1);
  long_label.push_back(64);
  long_label.insert(long_label.end(), 64, 'a');
  long_label.insert(long_label.end(), {0, 0, 1, 0, 1});
  std::vector<uint8_t> long_name = header(0x0100, 1);
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});

  const std::vector<RawCase> cases = {
      {"empty", {}, ""},
      {"short header", {0x12, 0x34, 0x01, 0x00, 0x00}, ""},
      {"a response (QR set)", with(header(0x8100, 1), kWebA), ""},
      {"header only, no question", header(0x0100, 0), "FORMERR"},
      {"two questions", with(with(header(0x0100, 2), kWebA), kWebA), "FORMERR"},
      {"QDCOUNT 1 without a question", header(0x0100, 1), "FORMERR"},
      {"question cut short", with(header(0x0100, 1), {3, 'w', 'e'}), "FORMERR"},
      {"no QTYPE", with(header(0x0100, 1), {3, 'w', 'e', 'b', 0}), "FORMERR"},
      {"pointer in the question", with(header(0x0100, 1), {0xC0, 0x0C, 0, 1, 0, 1}), "FORMERR"},
      {"pointer forward", with(header(0x0100, 1), {3, 'w', 'e', 'b', 0xC0, 0x40, 0, 1, 0, 1}), "FORMERR"},
      {"extended label type", with(header(0x0100, 1), {0x41, 'a', 0, 0, 1, 0, 1}), "FORMERR"},
      {"label over 63 bytes", long_label, "FORMERR"},
      {"name over 255 bytes", long_name, "FORMERR"},
      {"answer count with nothing behind it", with(header(0x0100, 1, 1), kWebA), "FORMERR"},
      {"additional record cut short", with(with(header(0x0100, 1, 0, 0, 1), kWebA), {0, 0, 41}), "FORMERR"},
      {"additional name pointer loop", with(with(header(0x0100, 1, 0, 0, 1), kWebA), {0xC0, 36, 0, 1, 0, 1}), "FORMERR"},
      {"two OPT records",
       with(with(header(0x0100, 1, 0, 0, 2), kWebA),
            {0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0}),
       "FORMERR"},
      {"OPT with a non-root owner", with(with(header(0x0100, 1, 0, 0, 1), kWebA), {1, 'a', 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0}),
       "FORMERR"},
      {"opcode STATUS", with(header(0x1100, 1), kWebA), "NOTIMP"},
      {"opcode NOTIFY", with(header(0x2100, 1), kWebA), "NOTIMP"},
      {"class CHAOS", with(header(0x0100, 1), {3, 'w', 'e', 'b', 7, 's', 'e', 'r', 'v', 'i', 'c', 'e', 6, 'c', 'o', 'n',
                                              's', 'u', 'l', 0, 0, 16, 0, 3}),
       "REFUSED"},
      {"AXFR", with(header(0x0000, 1), {6, 'c', 'o', 'n', 's', 'u', 'l', 0, 0, 252, 0, 1}), "NOTIMP"},
      {"IXFR", with(header(0x0000, 1), {6, 'c', 'o', 'n', 's', 'u', 'l', 0, 0, 251, 0, 1}), "NOTIMP"},
      {"well-formed", with(header(0x0100, 1), kWebA), "NOERROR"},
      {"trailing garbage is ignored", with(with(header(0x0100, 1), kWebA), {1, 2, 3}), "NOERROR"},
  };
  for (const RawCase& c : cases) {
    INFO(c.what);
    Reply r = f.ask_raw(c.wire);
    if (c.rcode.empty()) {
      CHECK(r.size == 0);
      continue;
    }
    REQUIRE(r.ok);
    CHECK(r.rcode == c.rcode);
    CHECK(r.id == 0x1234);
    CHECK(r.flags.rfind("qr", 0) == 0);
  }
}

TEST_CASE("random and mutated packets never crash the answer path", "[dns][malformed][fuzz]") {
  Fixture f;
  f.service("agent1", "web-1", "web", "10.1.0.1", 80);
  std::mt19937 rng(1234);
  std::vector<uint8_t> base = make_query("web.service.consul.", kTypeSrv, {});
  size_t answered = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> p = base;
    if (i % 2 == 0) {
      int flips = 1 + static_cast<int>(rng() % 6);
      for (int k = 0; k < flips; ++k) p[rng() % p.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) p.resize(rng() % (p.size() + 1));
    } else {
      p.resize(rng() % 80);
      for (auto& b : p) b = static_cast<uint8_t>(rng());
    }
    Reply r = f.ask_raw(p);
    if (r.size) {
      ++answered;
      CHECK(r.size <= 512 + 1232);
      CHECK(r.ok);  // whatever we send back must decode
    }
  }
  CHECK(answered > 0);
}

TEST_CASE("parse_query extracts the question and EDNS", "[dns][query]") {
  AskOptions opt;
  opt.bufsize = 4000;
  std::vector<uint8_t> q = make_query("A.Example.Consul.", kTypeSrv, opt, 77);
  Query parsed;
  REQUIRE(parse_query(q.data(), q.size(), parsed) == ParseStatus::ok);
  CHECK(parsed.id == 77);
  CHECK(parsed.qtype == kTypeSrv);
  CHECK(parsed.qclass == kClassIn);
  CHECK(parsed.label_count == 3);
  CHECK(std::string(reinterpret_cast<const char*>(parsed.lower), parsed.qname_len) ==
        std::string("\1a\7example\6consul\0", 18));
  CHECK(parsed.has_edns);
  CHECK(parsed.edns_udp_size == 4000);
  CHECK(parsed.edns_version == 0);
}

}  // namespace
}  // namespace beacon::dns::test

namespace beacon::dns::test {
namespace {

TEST_CASE("write_error_reply echoes the question and sets the rcode and RA", "[dns][recursor]") {
  std::vector<uint8_t> q = make_query("www.example.test.", kTypeA, {.bufsize = 4096}, 999);
  uint8_t out[512];
  size_t n = write_error_reply(q.data(), q.size(), kRcodeServFail, true, out, sizeof out);
  Reply r = decode(out, n);
  REQUIRE(r.ok);
  CHECK(r.id == 999);
  CHECK(r.rcode == "SERVFAIL");
  CHECK(r.flags == "qr rd ra");
  CHECK(r.question == "www.example.test.");
  CHECK(r.has_opt);
  n = write_error_reply(q.data(), q.size(), kRcodeRefused, false, out, sizeof out);
  CHECK(decode(out, n).flags == "qr rd");
  CHECK(write_error_reply(q.data(), 5, kRcodeRefused, false, out, sizeof out) == 0);
}

TEST_CASE("with recursors, out-of-zone names and unknown reverse names are for the recursor", "[dns][recursor]") {
  config::Config cfg = Fixture::default_config();
  cfg.recursors = {"127.0.0.1:5353"};
  Fixture f(cfg);
  uint8_t out[512];
  for (const char* name : {"www.example.test.", "9.9.9.9.in-addr.arpa."}) {
    std::vector<uint8_t> q = make_query(name, kTypeA, {});
    Scratch s;
    Result r = answer(f.zone(), q.data(), q.size(), Transport::udp, out, sizeof out, s);
    CHECK(r.outcome == Outcome::recurse);
    CHECK(r.size == 0);
  }
  // In-zone answers are ours and carry RA.
  Reply mine = f.ask("agent1.node.consul.", kTypeA);
  CHECK(mine.flags == "qr aa rd ra");
}

TEST_CASE("recursion_allowed_from matches client addresses", "[dns][recursor]") {
  config::Config cfg = Fixture::default_config();
  cfg.dns_config.recursion_allowed_from = {"127.0.0.0/8", "10.1.0.0/16", "::1/128"};
  ZoneSettings s = zone_options(cfg).answer;
  auto v4 = [](const char* ip) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
  };
  auto v6 = [](const char* ip) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
  };
  sockaddr_in a1 = v4("127.0.0.2"), a2 = v4("10.1.200.3"), a3 = v4("10.2.0.1"), a4 = v4("192.0.2.1");
  sockaddr_in6 b1 = v6("::1"), b2 = v6("::ffff:10.1.0.9"), b3 = v6("2001:db8::1");
  CHECK(s.allows_recursion(&a1));
  CHECK(s.allows_recursion(&a2));
  CHECK_FALSE(s.allows_recursion(&a3));
  CHECK_FALSE(s.allows_recursion(&a4));
  CHECK(s.allows_recursion(&b1));
  CHECK(s.allows_recursion(&b2));  // v4-mapped
  CHECK_FALSE(s.allows_recursion(&b3));
}

}  // namespace
}  // namespace beacon::dns::test
