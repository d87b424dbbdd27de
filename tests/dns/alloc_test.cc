// The answer path allocates nothing per query once its per-thread Scratch has warmed up.
// Global operator new is replaced for this executable; it counts while `g_counting` is set.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "dns/wire/wire.h"
#include "tests/dns/dns_fixture.h"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace beacon::dns::test {
namespace {

TEST_CASE("answering allocates nothing after warm-up", "[dns][alloc]") {
  Fixture f;
  for (int i = 1; i <= 50; ++i)
    f.service(i % 2 ? "agent1" : "agent1", "web-" + std::to_string(i), "web", "10.1.0." + std::to_string(i), 80,
              {"v1"});
  struct Q {
    const char* name;
    uint16_t type;
    AskOptions opt;
  };
  const std::vector<Q> questions = {
      {"web.service.consul.", kTypeA, {}},
      {"web.service.consul.", kTypeSrv, {}},  // cut to 1232 bytes: rewound, sorted, written again
      {"web.service.consul.", kTypeA, {.bufsize = 512}},  // 50 A records do not fit 512: cut too
      {"web.service.consul.", kTypeSrv, {.bufsize = 8192}},  // whole
      {"v1.web.service.consul.", kTypeSrv, {.edns = false}},
      {"web.service.consul.", kTypeSrv, {.tcp = true}},
      {"_web._tcp.service.consul.", kTypeSrv, {}},
      {"agent1.node.consul.", kTypeA, {}},
      {"nope.service.consul.", kTypeA, {}},
      {"0a010001.addr.consul.", kTypeA, {}},
      {"1.0.1.10.in-addr.arpa.", kTypePtr, {}},
      {"consul.", kTypeSoa, {}},
      {"example.com.", kTypeA, {}},
  };
  std::vector<std::vector<uint8_t>> wires;
  for (const Q& q : questions) wires.push_back(make_query(q.name, q.type, q.opt));
  std::vector<uint8_t> out(65535);
  Scratch scratch;
  const Zone& zone = f.zone();
  auto run = [&] {
    size_t bytes = 0;
    for (size_t i = 0; i < wires.size(); ++i) {
      Transport t = questions[i].opt.tcp ? Transport::tcp : Transport::udp;
      bytes += answer(zone, wires[i].data(), wires[i].size(), t, out.data(), out.size(), scratch).size;
    }
    return bytes;
  };
  REQUIRE(run() > 0);  // warm-up: Scratch grows to the largest service
  g_allocations = 0;
  g_counting = true;
  size_t bytes = 0;
  for (int round = 0; round < 100; ++round) bytes += run();
  g_counting = false;
  CHECK(bytes > 0);
  CHECK(g_allocations == 0);
}

TEST_CASE("the allocation counter itself works", "[dns][alloc]") {
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(3);
  asm volatile("" : : "g"(p) : "memory");  // keep the optimiser from eliding the allocation
  g_counting = false;
  delete p;
  CHECK(g_allocations == 1);
}

}  // namespace
}  // namespace beacon::dns::test
