// blast: a DNS load generator for 127.0.0.0/8 servers. UDP (batched sendmmsg/recvmmsg) closed
// or open loop, or TCP over persistent pipelined connections.
//
//   blast --server 127.0.0.1:8600 --queries FILE [--seconds 5] [--count N]
//         UDP closed loop: [--outstanding 100] [--sockets 4]
//         UDP open loop:   --rate QPS [--sockets 2]
//         TCP:             --tcp 1 [--connections 100] [--pipeline 10]
//
// FILE has one question per line, "name TYPE" (A, AAAA, SRV, TXT, PTR, SOA, NS, ANY), the same
// format as dnsperf. Queries have RD clear and no EDNS (as a resolver asks an authority).
//
// Closed loop keeps --outstanding queries in flight over --sockets sockets, and blocks in
// poll() when it has nothing to do (so it can share cores with the server).
// Open loop sends query k at t0 + k/rate whatever the answers do: it spins on the clock,
// sends what is due (in a batch only when it is late), and measures every query from the
// moment just before its sendmmsg to the kernel's receive timestamp of its reply
// (SO_TIMESTAMPNS), so the generator's own delay in reading replies is not counted. It also
// prints the latency from the query's scheduled time (includes generator lateness) and how
// late sends were against the schedule, so a distorted run can be seen.
// TCP keeps --pipeline queries in flight on each of --connections connections, refilling a
// connection with one write() per read().
// --count N stops after N queries were sent and answered (or lost): for profiling.
//
// Every reply's ID is matched to its query; a UDP query unanswered after 1 s counts as lost.
// Prints "key value..." lines for the scripts to collect.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dns/wire/query.h"
#include "dns/wire/wire.h"

namespace {

namespace dns = beacon::dns;

struct Args {
  std::string server = "127.0.0.1:8600";
  std::string queries;
  double seconds = 5;
  uint64_t count = 0;
  int outstanding = 100;
  int sockets = 0;  // 0: 4 closed loop, 2 open loop
  double rate = 0;
  bool tcp = false;
  int connections = 100;
  int pipeline = 10;
};

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // the clock of SO_TIMESTAMPNS
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint16_t type_code(const std::string& t) {
  static const std::map<std::string, uint16_t> kTypes = {
      {"A", dns::kTypeA},     {"NS", dns::kTypeNs},     {"SOA", dns::kTypeSoa}, {"PTR", dns::kTypePtr},
      {"TXT", dns::kTypeTxt}, {"AAAA", dns::kTypeAaaa}, {"SRV", dns::kTypeSrv}, {"ANY", dns::kTypeAny}};
  auto it = kTypes.find(t);
  return it == kTypes.end() ? 0 : it->second;
}

// A query for `name` (case kept): ID 0 (each send writes its own), RD clear, class IN, no
// EDNS. False when the name is not a valid name.
bool encode(const std::string& name, uint16_t type, std::vector<uint8_t>& out) {
  uint8_t buf[dns::kMaxQueryMessage];
  size_t n = dns::encode_query({.qname = name, .qtype = type}, buf, sizeof buf);
  out.assign(buf, buf + n);
  return n != 0;
}

// Latencies in 100 ns buckets up to 100 ms (the last bucket holds everything slower).
class Histogram {
 public:
  Histogram() : b_(kBuckets, 0) {}
  void add(uint64_t ns) {
    b_[std::min<uint64_t>(ns / 100, kBuckets - 1)]++;
    ++n_;
    sum_ += ns;
  }
  uint64_t n() const { return n_; }
  double pct_us(double p) const {
    if (n_ == 0) return 0;
    uint64_t want = std::min<uint64_t>(n_ - 1, static_cast<uint64_t>(p * static_cast<double>(n_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += b_[i];
      if (seen > want) return static_cast<double>(i) / 10.0;
    }
    return static_cast<double>(kBuckets) / 10.0;
  }
  double avg_us() const { return n_ ? static_cast<double>(sum_) / static_cast<double>(n_) / 1000.0 : 0; }
  void print(const char* key) const {
    std::printf("%s p50 %.1f p90 %.1f p99 %.1f p999 %.1f avg %.1f\n", key, pct_us(.5), pct_us(.9), pct_us(.99),
                pct_us(.999), avg_us());
  }

 private:
  static constexpr size_t kBuckets = 1000000;
  std::vector<uint32_t> b_;
  uint64_t n_ = 0, sum_ = 0;
};

struct Stats {
  uint64_t sent = 0, answered = 0, lost = 0, unmatched = 0, unsent = 0;
  uint64_t in_time = 0;  // answered before the deadline: the rate counts these
  uint64_t rcodes[16] = {};
  Histogram lat;        // send -> reply (kernel timestamp when available)
  Histogram lat_sched;  // open loop: scheduled time -> reply
  Histogram lag;        // open loop: scheduled time -> actual send
  uint64_t kernel_ts = 0;
};

struct Wires {
  std::vector<std::vector<uint8_t>> w;
  size_t next = 0;
  const std::vector<uint8_t>& take() { return w[next++ % w.size()]; }
};

constexpr int kBatch = 32;

int run_udp(const Args& a, const sockaddr_in& dst, Wires& wires, Stats& st, double& elapsed) {
  const bool open = a.rate > 0;
  const int nsock = a.sockets > 0 ? a.sockets : (open ? 2 : 4);
  if (!open && a.outstanding < nsock) return 2;
  std::vector<int> fds;
  for (int i = 0; i < nsock; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0) { perror("connect"); return 1; }
    fds.push_back(fd);
  }
  struct Slot {
    bool busy = false;
    uint64_t sent = 0, sched = 0;
  };
  std::vector<Slot> slots(65536);
  std::vector<std::vector<uint16_t>> free_ids(static_cast<size_t>(nsock));
  for (int id = 65535; id >= 0; --id) free_ids[static_cast<size_t>(id % nsock)].push_back(static_cast<uint16_t>(id));
  const int per_socket = a.outstanding / nsock;
  std::vector<int> inflight(static_cast<size_t>(nsock), 0);
  uint64_t total_inflight = 0;

  static uint8_t txbuf[kBatch][512];
  static uint8_t rxbuf[kBatch][4096];
  alignas(cmsghdr) static char ctrl[kBatch][128];
  mmsghdr tx[kBatch], rx[kBatch];
  iovec txv[kBatch], rxv[kBatch];

  // Sends up to n queries on socket s; sched(k) gives the k-th one's scheduled time (open loop).
  auto send_batch = [&](int s, int n, uint64_t first_sched, double interval_ns) -> int {
    int k = 0;
    auto& ids = free_ids[static_cast<size_t>(s)];
    for (; k < n && !ids.empty(); ++k) {
      uint16_t id = ids.back();
      ids.pop_back();
      const auto& w = wires.take();
      std::memcpy(txbuf[k], w.data(), w.size());
      txbuf[k][0] = static_cast<uint8_t>(id >> 8);
      txbuf[k][1] = static_cast<uint8_t>(id);
      txv[k] = {txbuf[k], w.size()};
      std::memset(&tx[k], 0, sizeof tx[k]);
      tx[k].msg_hdr.msg_iov = &txv[k];
      tx[k].msg_hdr.msg_iovlen = 1;
      slots[id].sched = first_sched + static_cast<uint64_t>(interval_ns * k);
    }
    uint64_t t = now_ns();
    for (int j = 0; j < k; ++j) {
      uint16_t id = static_cast<uint16_t>((txbuf[j][0] << 8) | txbuf[j][1]);
      slots[id].busy = true;
      slots[id].sent = t;
      if (open) st.lag.add(t > slots[id].sched ? t - slots[id].sched : 0);
    }
    int done = k ? sendmmsg(fds[static_cast<size_t>(s)], tx, static_cast<unsigned>(k), 0) : 0;
    if (done < 0) done = 0;
    for (int j = done; j < k; ++j) {  // not sent: give the IDs back
      uint16_t id = static_cast<uint16_t>((txbuf[j][0] << 8) | txbuf[j][1]);
      slots[id].busy = false;
      ids.push_back(id);
    }
    st.sent += static_cast<uint64_t>(done);
    inflight[static_cast<size_t>(s)] += done;
    total_inflight += static_cast<uint64_t>(done);
    return done;
  };

  auto receive = [&](int s) -> int {
    for (int k = 0; k < kBatch; ++k) {
      rxv[k] = {rxbuf[k], sizeof rxbuf[k]};
      std::memset(&rx[k], 0, sizeof rx[k]);
      rx[k].msg_hdr.msg_iov = &rxv[k];
      rx[k].msg_hdr.msg_iovlen = 1;
      rx[k].msg_hdr.msg_control = ctrl[k];
      rx[k].msg_hdr.msg_controllen = sizeof ctrl[k];
    }
    int got = recvmmsg(fds[static_cast<size_t>(s)], rx, kBatch, MSG_DONTWAIT, nullptr);
    if (got <= 0) return 0;
    uint64_t t_user = now_ns();
    for (int k = 0; k < got; ++k) {
      if (rx[k].msg_len < 12) { ++st.unmatched; continue; }
      uint16_t id = static_cast<uint16_t>((rxbuf[k][0] << 8) | rxbuf[k][1]);
      if (id % nsock != s || !slots[id].busy) { ++st.unmatched; continue; }
      uint64_t t = t_user;
      for (cmsghdr* c = CMSG_FIRSTHDR(&rx[k].msg_hdr); c; c = CMSG_NXTHDR(&rx[k].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          t = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
          ++st.kernel_ts;
        }
      }
      Slot& sl = slots[id];
      sl.busy = false;
      free_ids[static_cast<size_t>(s)].push_back(id);
      --inflight[static_cast<size_t>(s)];
      --total_inflight;
      ++st.answered;
      ++st.rcodes[rxbuf[k][3] & 0x0F];
      st.lat.add(t > sl.sent ? t - sl.sent : 0);
      if (open) st.lat_sched.add(t > sl.sched ? t - sl.sched : 0);
    }
    return got;
  };

  const uint64_t t0 = now_ns();
  const uint64_t end = t0 + static_cast<uint64_t>(a.seconds * 1e9);
  uint64_t last_sweep = t0;
  uint64_t scheduled = 0;  // open loop: queries whose time has come
  const double interval = open ? 1e9 / a.rate : 0;
  int rr = 0;
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  while (true) {
    uint64_t now = now_ns();
    if (now >= end) break;
    bool all_sent = a.count && st.sent + st.unsent >= a.count;
    if (all_sent && total_inflight == 0) break;
    int activity = 0;
    if (open) {
      uint64_t due = static_cast<uint64_t>(static_cast<double>(now - t0) / interval) + 1;
      if (a.count) due = std::min(due, a.count);
      while (scheduled < due) {
        int n = static_cast<int>(std::min<uint64_t>(due - scheduled, kBatch));
        int s = rr++ % nsock;
        int done = send_batch(s, n, t0 + static_cast<uint64_t>(static_cast<double>(scheduled) * interval), interval);
        st.unsent += static_cast<uint64_t>(n - done);  // out of IDs or socket full: skipped, not retried
        scheduled += static_cast<uint64_t>(n);
        activity += done;
      }
    } else if (!all_sent) {
      for (int s = 0; s < nsock; ++s) {
        int want = std::min(per_socket - inflight[static_cast<size_t>(s)], kBatch);
        if (a.count) want = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(std::max(want, 0)), a.count - st.sent));
        if (want > 0) activity += send_batch(s, want, 0, 0);
      }
    }
    for (int s = 0; s < nsock; ++s) activity += receive(s);
    if (now - last_sweep > 100000000ull) {  // expire queries older than 1 s
      last_sweep = now;
      for (int id = 0; id < 65536; ++id) {
        const Slot& sl = slots[static_cast<size_t>(id)];
        if (sl.busy && now > sl.sent && now - sl.sent > 1000000000ull) {
          slots[static_cast<size_t>(id)].busy = false;
          int s = id % nsock;
          free_ids[static_cast<size_t>(s)].push_back(static_cast<uint16_t>(id));
          --inflight[static_cast<size_t>(s)];
          --total_inflight;
          ++st.lost;
        }
      }
    }
    if (!open && activity == 0) poll(pfds.data(), pfds.size(), 1);  // idle: leave the core to others
  }
  elapsed = static_cast<double>(now_ns() - t0) / 1e9;
  st.in_time = st.answered;
  // Collect the replies still on their way (for up to 200 ms; not counted in the rate).
  const uint64_t drain_end = now_ns() + 200000000ull;
  while (total_inflight > 0 && now_ns() < drain_end) {
    int got = 0;
    for (int s = 0; s < nsock; ++s) got += receive(s);
    if (got == 0) poll(pfds.data(), pfds.size(), 1);
  }
  st.lost += total_inflight;
  for (int fd : fds) close(fd);
  return 0;
}

int run_tcp(const Args& a, const sockaddr_in& dst, Wires& wires, Stats& st, double& elapsed) {
  struct Conn {
    int fd = -1;
    std::vector<uint8_t> in;
    size_t in_len = 0;
    std::vector<uint8_t> out;  // bytes not yet written
    std::vector<uint64_t> sent_at;
    std::vector<uint16_t> free_slots;
    int inflight = 0;
    bool dead = false;
  };
  const int P = std::clamp(a.pipeline, 1, 4096);
  std::vector<Conn> conns(static_cast<size_t>(a.connections));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0) { perror("connect"); return 1; }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.in.resize(256 * 1024);
    c.sent_at.resize(static_cast<size_t>(P));
    for (int k = P - 1; k >= 0; --k) c.free_slots.push_back(static_cast<uint16_t>(k));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  auto flush = [&](Conn& c) {
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        c.dead = true;
        return;
      }
      c.out.erase(c.out.begin(), c.out.begin() + n);
    }
  };
  auto refill = [&](Conn& c) {
    uint64_t t = now_ns();
    while (!c.free_slots.empty() && !(a.count && st.sent >= a.count)) {
      uint16_t id = c.free_slots.back();
      c.free_slots.pop_back();
      const auto& w = wires.take();
      c.out.push_back(static_cast<uint8_t>(w.size() >> 8));
      c.out.push_back(static_cast<uint8_t>(w.size()));
      size_t at = c.out.size();
      c.out.insert(c.out.end(), w.begin(), w.end());
      c.out[at] = static_cast<uint8_t>(id >> 8);
      c.out[at + 1] = static_cast<uint8_t>(id);
      c.sent_at[id] = t;
      ++c.inflight;
      ++st.sent;
    }
    flush(c);
  };
  std::vector<epoll_event> evs(256);
  auto read_replies = [&](Conn& c, bool more) {
    if (c.dead) return;
    ssize_t r = recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      c.dead = true;
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      return;
    }
    if (r < 0) return;
    c.in_len += static_cast<size_t>(r);
    uint64_t t = now_ns();
    size_t off = 0;
    while (c.in_len - off >= 2) {
      size_t len = (static_cast<size_t>(c.in[off]) << 8) | c.in[off + 1];
      if (c.in_len - off < 2 + len) break;
      const uint8_t* m = c.in.data() + off + 2;
      off += 2 + len;
      if (len < 12) { ++st.unmatched; continue; }
      uint16_t id = static_cast<uint16_t>((m[0] << 8) | m[1]);
      if (id >= P || std::find(c.free_slots.begin(), c.free_slots.end(), id) != c.free_slots.end()) {
        ++st.unmatched;
        continue;
      }
      c.free_slots.push_back(id);
      --c.inflight;
      ++st.answered;
      ++st.rcodes[m[3] & 0x0F];
      st.lat.add(t - c.sent_at[id]);
    }
    std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
    c.in_len -= off;
    if (more) refill(c);
  };
  const uint64_t t0 = now_ns();
  const uint64_t end = t0 + static_cast<uint64_t>(a.seconds * 1e9);
  for (auto& c : conns) refill(c);
  while (now_ns() < end) {
    uint64_t inflight = 0;
    for (auto& c : conns) inflight += c.dead ? 0 : static_cast<uint64_t>(c.inflight);
    if (a.count && st.sent >= a.count && inflight == 0) break;
    int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
    for (int e = 0; e < n; ++e) read_replies(conns[evs[static_cast<size_t>(e)].data.u64], true);
    for (auto& c : conns)
      if (!c.out.empty() && !c.dead) flush(c);
  }
  elapsed = static_cast<double>(now_ns() - t0) / 1e9;
  st.in_time = st.answered;
  // Collect the replies still on their way (for up to 200 ms; not counted in the rate).
  const uint64_t drain_end = now_ns() + 200000000ull;
  while (now_ns() < drain_end) {
    uint64_t inflight = 0;
    for (auto& c : conns) inflight += c.dead ? 0 : static_cast<uint64_t>(c.inflight);
    if (inflight == 0) break;
    int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
    for (int e = 0; e < n; ++e) read_replies(conns[evs[static_cast<size_t>(e)].data.u64], false);
  }
  int dead = 0;
  for (auto& c : conns) {
    st.lost += static_cast<uint64_t>(c.inflight);
    dead += c.dead;
    close(c.fd);
  }
  close(ep);
  std::printf("connections %d pipeline %d closed_by_server %d\n", a.connections, P, dead);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") a.server = v;
    else if (k == "--queries") a.queries = v;
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--count") a.count = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--outstanding") a.outstanding = std::atoi(v.c_str());
    else if (k == "--sockets") a.sockets = std::atoi(v.c_str());
    else if (k == "--rate") a.rate = std::atof(v.c_str());
    else if (k == "--tcp") a.tcp = v == "1";
    else if (k == "--connections") a.connections = std::atoi(v.c_str());
    else if (k == "--pipeline") a.pipeline = std::atoi(v.c_str());
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (a.queries.empty() || a.sockets < 0 || a.sockets > 64 || a.outstanding < 1 || a.outstanding > 60000 ||
      a.seconds <= 0 || a.seconds > 600 || a.rate < 0 || a.rate > 5e6 || a.connections < 1 ||
      a.connections > 1000 || (argc % 2) == 0) {
    std::fprintf(stderr, "usage: blast --server IP:PORT --queries FILE [--seconds S<=600] [--count N] "
                         "[--outstanding N] [--sockets S] [--rate QPS] [--tcp 1 --connections C --pipeline P]\n");
    return 2;
  }
  Wires wires;
  std::ifstream in(a.queries);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string name, type;
    if (!(ls >> name >> type)) continue;
    std::vector<uint8_t> w;
    if (uint16_t t = type_code(type); t && encode(name, t, w)) wires.w.push_back(std::move(w));
  }
  if (wires.w.empty()) { std::fprintf(stderr, "no queries in %s\n", a.queries.c_str()); return 2; }

  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  auto colon = a.server.rfind(':');
  if (colon == std::string::npos) return 2;
  dst.sin_port = htons(static_cast<uint16_t>(std::atoi(a.server.substr(colon + 1).c_str())));
  if (inet_pton(AF_INET, a.server.substr(0, colon).c_str(), &dst.sin_addr) != 1) return 2;
  if ((ntohl(dst.sin_addr.s_addr) >> 24) != 127) { std::fprintf(stderr, "blast only sends to 127.0.0.0/8\n"); return 2; }

  Stats st;
  double elapsed = 0;
  int rc = a.tcp ? run_tcp(a, dst, wires, st, elapsed) : run_udp(a, dst, wires, st, elapsed);
  if (rc != 0) return rc;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("mode %s\n", a.tcp ? "tcp" : a.rate > 0 ? "open" : "closed");
  std::printf("client_cpu_pct %.0f\n", 100.0 * cpu / elapsed);
  std::printf("sent %llu\nanswered %llu\nlost %llu\nunmatched %llu\n", static_cast<unsigned long long>(st.sent),
              static_cast<unsigned long long>(st.answered), static_cast<unsigned long long>(st.lost),
              static_cast<unsigned long long>(st.unmatched));
  std::printf("qps %.0f\n", static_cast<double>(st.in_time) / elapsed);
  static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  for (int rcode = 0; rcode < 16; ++rcode)
    if (st.rcodes[rcode])
      std::printf("rcode %s %llu\n", rcode < 6 ? kNames[rcode] : "other", static_cast<unsigned long long>(st.rcodes[rcode]));
  st.lat.print("latency_us");
  if (a.rate > 0 && !a.tcp) {
    std::printf("target_rate %.0f sent_rate %.0f unsent %llu kernel_timestamps %llu\n", a.rate,
                static_cast<double>(st.sent) / elapsed, static_cast<unsigned long long>(st.unsent),
                static_cast<unsigned long long>(st.kernel_ts));
    st.lat_sched.print("latency_from_schedule_us");
    st.lag.print("send_lag_us");
  }
  return 0;
}
