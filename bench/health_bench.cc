// health_bench: how fast a check result reaches DNS, and what 1,000 HTTP checks cost.
//
//   health_bench latency --http PORT --dns PORT [--rounds 200]
//     Registers a service with a TTL check, then flips it with PUT /v1/agent/check/fail|pass
//     and measures, per flip, (a) the HTTP reply time (the write is durable when it returns)
//     and (b) the time from sending the PUT until DNS answers the changed result (UDP
//     queries sent back to back). Prints p50/p99/max of both.
//   health_bench probe --http PORT --dns PORT [--rounds 200] [--services 20]
//     Check result -> DNS answer without any API write on the way: --services services with
//     HTTP checks (1 s) against a target of its own flip between 200 and 503; per flip, the
//     time from the probe's response to the first DNS answer that shows it.
//   health_bench cpu --http PORT --pid PID [--checks 1000] [--seconds 20]
//     Serves HTTP 200 on a loopback port, registers --checks services each with an HTTP
//     check at a 1 s interval against it, waits for them to run, then reads the agent's CPU
//     time from /proc/PID/stat over --seconds and prints it as a share of one core.
//   health_bench register --http PORT [--clients 64] [--seconds 5] [--max 200000]
//     --clients threads, each on its own keep-alive connection, register services with
//     distinct IDs (PUT /v1/agent/service/register) back to back for --seconds (or until
//     --max writes in all); every reply means the write is durable. Prints writes/s and the
//     reply time p50/p99.
// Only talks to 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// 127.0.0.1:port (port 0: any, for bind).
sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int connect_tcp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { perror("connect"); std::exit(1); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One HTTP/1.1 request on a keep-alive connection; returns the status code.
int http(int fd, const std::string& method, const std::string& path, const std::string& body = "") {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return -1;
  std::string resp;
  char buf[8192];
  size_t need = std::string::npos;
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return -1;
    resp.append(buf, static_cast<size_t>(n));
    size_t head = resp.find("\r\n\r\n");
    if (head == std::string::npos) continue;
    if (need == std::string::npos) {
      size_t cl = resp.find("Content-Length: ");
      if (cl == std::string::npos) cl = resp.find("content-length: ");
      size_t len = cl == std::string::npos ? 0 : std::strtoul(resp.c_str() + cl + 16, nullptr, 10);
      need = head + 4 + len;
    }
    if (resp.size() >= need) break;
  }
  return std::atoi(resp.c_str() + 9);
}

// A query for `name` A; returns the rcode and the answer count.
std::vector<uint8_t> query(const std::string& name) {
  std::vector<uint8_t> q = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  return q;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// A UDP socket connected to the agent's DNS port.
int connect_dns(uint16_t dns_port) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(dns_port);
  connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return u;
}

// Sends `q` on `u`: 1 when the reply answers it (NOERROR with records), 0 when it does not,
// -1 with no reply within 100 ms.
int answered(int u, const std::vector<uint8_t>& q) {
  send(u, q.data(), q.size(), 0);
  uint8_t buf[512];
  pollfd p{u, POLLIN, 0};
  if (poll(&p, 1, 100) != 1) return -1;
  ssize_t n = recv(u, buf, sizeof buf, 0);
  if (n < 12) return -1;
  return (buf[3] & 0x0F) == 0 && buf[7] > 0 ? 1 : 0;
}

int latency(uint16_t http_port, uint16_t dns_port, int rounds) {
  int h = connect_tcp(http_port);
  if (http(h, "PUT", "/v1/agent/service/register",
           R"({"Name":"flip","ID":"flip-1","Address":"127.0.0.9","Port":1,"Check":{"TTL":"600s"}})") != 200) {
    std::fprintf(stderr, "register failed\n");
    return 1;
  }
  int u = connect_dns(dns_port);
  std::vector<uint8_t> q = query("flip.service.consul");
  std::vector<double> write_ms, visible_ms;
  for (int i = 0; i < rounds; ++i) {
    bool pass = i % 2 == 0;
    auto t0 = Clock::now();
    if (http(h, "PUT", pass ? "/v1/agent/check/pass/service:flip-1" : "/v1/agent/check/fail/service:flip-1") != 200)
      return 1;
    write_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    // Ask until the answer reflects the new status (bounded at 2 s).
    while (Clock::now() - t0 < std::chrono::seconds(2))
      if (answered(u, q) == (pass ? 1 : 0)) break;
    visible_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::printf("rounds %d\n", rounds);
  std::printf("api_write_ms p50 %.3f p99 %.3f max %.3f\n", pct(write_ms, .5), pct(write_ms, .99), pct(write_ms, 1));
  std::printf("check_result_to_dns_ms p50 %.3f p99 %.3f max %.3f\n", pct(visible_ms, .5), pct(visible_ms, .99),
              pct(visible_ms, 1));
  return 0;
}

double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream s(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && s >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Serves HTTP on a loopback port for health checks: GET /<k> answers 200 or 503 as codes[k]
// says, and records when the first response after a flip went out.
struct Target {
  explicit Target(int n) : codes(static_cast<size_t>(n)), flipped_at(static_cast<size_t>(n)) {
    for (auto& c : codes) c = 200;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(lfd, 1024);
    socklen_t len = sizeof a;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    server = std::thread([this] { serve(); });
  }
  ~Target() {
    stop = true;
    server.join();
    close(lfd);
  }
  // From now on service k's check gets `code`; seen(k) turns true with its next probe.
  void flip(size_t k, int code) {
    flipped_at[k] = 0;
    codes[k] = code;
  }
  // When the first probe of k answered with the code of the last flip left (0: not yet).
  int64_t seen(size_t k) const { return flipped_at[k]; }

  void serve() {
    while (!stop) {
      pollfd p{lfd, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) continue;
      char buf[4096];
      ssize_t n = read(c, buf, sizeof buf - 1);
      size_t k = n > 5 ? std::strtoul(buf + 5, nullptr, 10) : 0;  // "GET /<k> HTTP/1.1"
      if (k < codes.size()) {
        int code = codes[k];
        const char* resp = code == 200 ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                                       : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown";
        ssize_t unused = write(c, resp, std::strlen(resp));
        (void)unused;
        int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
        int64_t none = 0;
        if (codes[k] == code) flipped_at[k].compare_exchange_strong(none, now);  // not a flip under way
      }
      close(c);
      ++served;
    }
  }

  std::vector<std::atomic<int>> codes;
  std::vector<std::atomic<int64_t>> flipped_at;
  std::atomic<bool> stop{false};
  std::atomic<long> served{0};  // connections answered
  int lfd = -1;
  uint16_t port = 0;
  std::thread server;
};

int cpu(uint16_t http_port, int pid, int checks, int seconds) {
  Target target(1);  // answers 200 to every check ("/" is service 0)
  int h = connect_tcp(http_port);
  for (int i = 0; i < checks; ++i) {
    std::string body = R"({"Name":"chk)" + std::to_string(i) + R"(","Port":1,"Check":{"HTTP":"http://127.0.0.1:)" +
                       std::to_string(target.port) + R"(/","Interval":"1s","Timeout":"2s"}})";
    if (http(h, "PUT", "/v1/agent/service/register", body) != 200) { std::fprintf(stderr, "register failed\n"); return 1; }
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long served0 = target.served;
  double c0 = cpu_seconds(pid);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  double c1 = cpu_seconds(pid);
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  long probes = target.served - served0;
  std::printf("checks %d interval 1s\n", checks);
  std::printf("probes_per_s %.0f\n", probes / wall);
  std::printf("agent_cpu_percent_of_one_core %.1f\n", 100.0 * (c1 - c0) / wall);
  std::printf("agent_cpu_us_per_probe %.1f\n", probes ? 1e6 * (c1 - c0) / probes : 0.0);
  return 0;
}


// Check result -> DNS: `services` services, each with an HTTP check (1 s interval) against
// Target. All of them flip at once (200 <-> 503); as each one's next probe goes out with the
// new code, DNS is asked back to back until the service's answer changes. The figure is the
// time from the probe's response leaving the target to the first changed DNS answer: the
// agent reading the result, the catalog write, the zone build and the publish.
int probe_latency(uint16_t http_port, uint16_t dns_port, int rounds, int services) {
  Target target(services);
  int h = connect_tcp(http_port);
  for (int k = 0; k < services; ++k) {
    std::string body = R"({"Name":"probed)" + std::to_string(k) + R"(","Address":"127.0.0.9","Port":1,)" +
                       R"("Check":{"HTTP":"http://127.0.0.1:)" + std::to_string(target.port) + "/" +
                       std::to_string(k) + R"(","Interval":"1s","Timeout":"1s"}})";
    if (http(h, "PUT", "/v1/agent/service/register", body) != 200) {
      std::fprintf(stderr, "register failed\n");
      return 1;
    }
  }
  int u = connect_dns(dns_port);
  std::vector<std::vector<uint8_t>> queries;
  for (int k = 0; k < services; ++k) queries.push_back(query("probed" + std::to_string(k) + ".service.consul"));
  // Every service passing in DNS before the first flip (the first probes run at once).
  auto deadline = Clock::now() + std::chrono::seconds(5);
  for (size_t k = 0; k < static_cast<size_t>(services); ++k)
    while (answered(u, queries[k]) != 1)
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "probed%zu never became passing\n", k);
        return 1;
      }
  std::vector<double> ms;
  bool pass = false;
  while (static_cast<int>(ms.size()) < rounds) {
    for (size_t k = 0; k < static_cast<size_t>(services); ++k) target.flip(k, pass ? 200 : 503);
    std::vector<bool> done(static_cast<size_t>(services), false);
    size_t left = static_cast<size_t>(services);
    auto end = Clock::now() + std::chrono::seconds(3);
    while (left > 0 && Clock::now() < end) {
      bool any = false;
      for (size_t k = 0; k < done.size(); ++k) {
        if (done[k] || target.seen(k) == 0) continue;
        any = true;
        if (answered(u, queries[k]) != (pass ? 1 : 0)) continue;
        int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
        ms.push_back(static_cast<double>(now - target.seen(k)) / 1e6);
        done[k] = true;
        --left;
      }
      if (!any) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    if (left > 0) {
      std::fprintf(stderr, "%zu services did not change in DNS within 3 s\n", left);
      return 1;
    }
    pass = !pass;
  }
  std::printf("rounds %zu (%d services, HTTP checks)\n", ms.size(), services);
  std::printf("probe_to_dns_ms p50 %.3f p99 %.3f max %.3f\n", pct(ms, .5), pct(ms, .99), pct(ms, 1));
  return 0;
}

int register_load(uint16_t http_port, int clients, int seconds, int max_writes) {
  std::atomic<int> budget{max_writes};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      int h = connect_tcp(http_port);
      for (int n = 0; Clock::now() < end && budget.fetch_sub(1) > 0; ++n) {
        std::string body = R"({"Name":"reg)" + std::to_string(t) + R"(","ID":"reg-)" + std::to_string(t) + "-" +
                           std::to_string(n) + R"(","Address":"10.)" + std::to_string(100 + t) + "." +
                           std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255) + R"(","Port":)" +
                           std::to_string(1000 + n % 50000) + "}";
        auto s0 = Clock::now();
        int code = http(h, "PUT", "/v1/agent/service/register", body);
        lat[static_cast<size_t>(t)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s0).count());
        if (code != 200) {
          ++errors;
          if (code < 0) break;
        }
      }
      close(h);
    });
  }
  for (auto& th : threads) th.join();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::printf("clients %d\n", clients);
  std::printf("writes %zu errors %ld seconds %.2f\n", all.size(), errors.load(), wall);
  std::printf("writes_per_s %.0f\n", static_cast<double>(all.size() - static_cast<size_t>(errors.load())) / wall);
  std::printf("write_ms p50 %.3f p99 %.3f max %.3f\n", pct(all, .5), pct(all, .99), pct(all, 1));
  return errors.load() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: health_bench latency|probe|cpu|register [--http P] [--dns P] [--pid PID] [--rounds N] ...\n");
    return 2;
  }
  std::string mode = argv[1];
  uint16_t http_port = 0, dns_port = 0;
  int pid = 0, rounds = 200, checks = 1000, seconds = 20, clients = 64, max_writes = 200000, services = 20;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (k == "--http") http_port = static_cast<uint16_t>(v);
    else if (k == "--dns") dns_port = static_cast<uint16_t>(v);
    else if (k == "--pid") pid = v;
    else if (k == "--rounds") rounds = std::clamp(v, 1, 10000);
    else if (k == "--checks") checks = std::clamp(v, 1, 10000);
    else if (k == "--seconds") seconds = std::clamp(v, 1, 600);
    else if (k == "--clients") clients = std::clamp(v, 1, 512);
    else if (k == "--services") services = std::clamp(v, 1, 1000);
    else if (k == "--max") max_writes = std::clamp(v, 1, 10000000);
  }
  if (mode == "latency" && http_port && dns_port) return latency(http_port, dns_port, rounds);
  if (mode == "probe" && http_port && dns_port) return probe_latency(http_port, dns_port, rounds, services);
  if (mode == "cpu" && http_port && pid) return cpu(http_port, pid, checks, seconds);
  if (mode == "register" && http_port) return register_load(http_port, clients, seconds, max_writes);
  std::fprintf(stderr, "missing --http/--dns/--pid\n");
  return 2;
}
