// blast: a batched UDP DNS load generator (sendmmsg/recvmmsg), closed or open loop.
//
//   blast --server 127.0.0.1:8600 --queries FILE [--seconds 5] [--outstanding 100]
//         [--sockets 4] [--rate QPS]
//
// FILE has one question per line, "name TYPE" (A, AAAA, SRV, TXT, PTR, SOA, NS, ANY).
// Closed loop (default): keeps --outstanding queries in flight over --sockets sockets.
// Open loop (--rate): sends at a fixed rate whatever the answers do, and reports latency.
// Every reply's ID is matched to its query; a query unanswered after 1 s counts as lost.
// Prints one summary line per figure, for bench/run.sh to collect.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string server = "127.0.0.1:8600";
  std::string queries;
  double seconds = 5;
  int outstanding = 100;
  int sockets = 4;
  double rate = 0;
};

uint16_t type_code(const std::string& t) {
  static const std::map<std::string, uint16_t> kTypes = {{"A", 1},   {"NS", 2},   {"SOA", 6},  {"PTR", 12},
                                                         {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};
  auto it = kTypes.find(t);
  return it == kTypes.end() ? 0 : it->second;
}

// A query without EDNS, RD clear (as a resolver asks an authority); ID patched per send.
bool encode(const std::string& name, uint16_t type, std::vector<uint8_t>& out) {
  out = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  while (start <= n.size() && !n.empty()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) return false;
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), n.begin() + start, n.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(type >> 8));
  out.push_back(static_cast<uint8_t>(type));
  out.push_back(0);
  out.push_back(1);
  return true;
}

struct Slot {
  bool busy = false;
  Clock::time_point sent;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") a.server = v;
    else if (k == "--queries") a.queries = v;
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--outstanding") a.outstanding = std::atoi(v.c_str());
    else if (k == "--sockets") a.sockets = std::atoi(v.c_str());
    else if (k == "--rate") a.rate = std::atof(v.c_str());
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (a.queries.empty() || a.sockets < 1 || a.outstanding < a.sockets || a.seconds <= 0 || a.seconds > 600) {
    std::fprintf(stderr, "usage: blast --server IP:PORT --queries FILE [--seconds S<=600] [--outstanding N] "
                         "[--sockets S] [--rate QPS]\n");
    return 2;
  }
  std::vector<std::vector<uint8_t>> wires;
  std::ifstream in(a.queries);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string name, type;
    if (!(ls >> name >> type)) continue;
    std::vector<uint8_t> w;
    if (uint16_t t = type_code(type); t && encode(name, t, w)) wires.push_back(std::move(w));
  }
  if (wires.empty()) { std::fprintf(stderr, "no queries in %s\n", a.queries.c_str()); return 2; }

  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  auto colon = a.server.rfind(':');
  dst.sin_port = htons(static_cast<uint16_t>(std::atoi(a.server.substr(colon + 1).c_str())));
  if (inet_pton(AF_INET, a.server.substr(0, colon).c_str(), &dst.sin_addr) != 1) return 2;
  uint32_t dst_ip = ntohl(dst.sin_addr.s_addr);
  if ((dst_ip >> 24) != 127) { std::fprintf(stderr, "blast only sends to 127.0.0.0/8\n"); return 2; }

  std::vector<int> fds;
  for (int i = 0; i < a.sockets; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) { perror("connect"); return 1; }
    fds.push_back(fd);
  }
  // IDs: socket s owns IDs with id % sockets == s; one slot per ID.
  std::vector<Slot> slots(65536);
  std::vector<uint16_t> free_ids;
  std::vector<std::vector<uint16_t>> free_by_socket(a.sockets);
  for (int id = 65535; id >= 0; --id) free_by_socket[id % a.sockets].push_back(static_cast<uint16_t>(id));
  const int per_socket = a.outstanding / a.sockets;
  std::vector<int> inflight(a.sockets, 0);
  std::map<int, uint64_t> rcodes;
  uint64_t sent = 0, received = 0, lost = 0, bad = 0;
  std::vector<uint32_t> lat_us;
  lat_us.reserve(1 << 20);
  size_t next_q = 0;
  constexpr int kBatch = 32;
  std::vector<std::vector<uint8_t>> txbuf(kBatch, std::vector<uint8_t>(512));
  std::vector<std::vector<uint8_t>> rxbuf(kBatch, std::vector<uint8_t>(4096));
  mmsghdr tx[kBatch], rx[kBatch];
  iovec txv[kBatch], rxv[kBatch];

  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
  auto last_sweep = t0;
  double open_sent = 0;
  while (true) {
    auto now = Clock::now();
    if (now >= end) break;
    for (int s = 0; s < a.sockets; ++s) {
      // How many to send now.
      int want;
      if (a.rate > 0) {
        double due = a.rate * std::chrono::duration<double>(now - t0).count() / a.sockets;
        want = static_cast<int>(std::min<double>(due - open_sent / a.sockets, kBatch));
        if (s == a.sockets - 1 && want > 0) open_sent += want * a.sockets;
      } else {
        want = std::min(per_socket - inflight[s], kBatch);
      }
      int n = 0;
      for (; n < want && !free_by_socket[s].empty(); ++n) {
        uint16_t id = free_by_socket[s].back();
        free_by_socket[s].pop_back();
        const auto& w = wires[next_q++ % wires.size()];
        std::memcpy(txbuf[n].data(), w.data(), w.size());
        txbuf[n][0] = static_cast<uint8_t>(id >> 8);
        txbuf[n][1] = static_cast<uint8_t>(id);
        txv[n] = {txbuf[n].data(), w.size()};
        std::memset(&tx[n], 0, sizeof tx[n]);
        tx[n].msg_hdr.msg_iov = &txv[n];
        tx[n].msg_hdr.msg_iovlen = 1;
        slots[id] = {true, now};
      }
      int done = n ? sendmmsg(fds[s], tx, n, 0) : 0;
      if (done < 0) done = 0;
      for (int k = done; k < n; ++k) {  // not sent: give the IDs back
        uint16_t id = static_cast<uint16_t>((txbuf[k][0] << 8) | txbuf[k][1]);
        slots[id].busy = false;
        free_by_socket[s].push_back(id);
      }
      sent += done;
      inflight[s] += done;
      for (int k = 0; k < kBatch; ++k) {
        rxv[k] = {rxbuf[k].data(), rxbuf[k].size()};
        std::memset(&rx[k], 0, sizeof rx[k]);
        rx[k].msg_hdr.msg_iov = &rxv[k];
        rx[k].msg_hdr.msg_iovlen = 1;
      }
      int got = recvmmsg(fds[s], rx, kBatch, MSG_DONTWAIT, nullptr);
      auto rnow = Clock::now();
      for (int k = 0; k < got; ++k) {
        if (rx[k].msg_len < 12) { ++bad; continue; }
        uint16_t id = static_cast<uint16_t>((rxbuf[k][0] << 8) | rxbuf[k][1]);
        if (id % a.sockets != static_cast<uint16_t>(s) || !slots[id].busy) { ++bad; continue; }
        slots[id].busy = false;
        free_by_socket[s].push_back(id);
        --inflight[s];
        ++received;
        ++rcodes[rxbuf[k][3] & 0x0F];
        lat_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(rnow - slots[id].sent).count()));
      }
    }
    if (now - last_sweep > std::chrono::milliseconds(100)) {  // expire queries older than 1 s
      last_sweep = now;
      for (int id = 0; id < 65536; ++id) {
        if (slots[id].busy && now - slots[id].sent > std::chrono::seconds(1)) {
          slots[id].busy = false;
          int s = id % a.sockets;
          free_by_socket[s].push_back(static_cast<uint16_t>(id));
          --inflight[s];
          ++lost;
        }
      }
    }
    if (a.rate > 0) {
      pollfd p{fds[0], POLLIN, 0};
      poll(&p, 1, 0);
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us.empty() ? 0u : lat_us[std::min(lat_us.size() - 1, size_t(p * lat_us.size()))]; };
  std::printf("mode %s\n", a.rate > 0 ? "open" : "closed");
  std::printf("sent %llu\nanswered %llu\nlost %llu\nunmatched %llu\n", (unsigned long long)sent,
              (unsigned long long)received, (unsigned long long)lost, (unsigned long long)bad);
  std::printf("qps %.0f\n", received / elapsed);
  static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  for (auto [rc, n] : rcodes) std::printf("rcode %s %llu\n", rc < 6 ? kNames[rc] : "other", (unsigned long long)n);
  std::printf("latency_us p50 %u p99 %u p999 %u\n", pct(0.5), pct(0.99), pct(0.999));
  for (int fd : fds) close(fd);
  return 0;
}
