// beacon behind the resolvers people put in front of it, each the real program started by
// the test on 127.0.0.1 high ports with its own config in a temp dir and stopped by PID:
//
//   - dnsmasq forwarding the domain (`server=/consul/127.0.0.1#PORT`);
//   - Unbound with a forward-zone, and with a stub-zone, for the domain;
//   - glibc (getent, curl) reading /etc/resolv.conf, in a private network and mount
//     namespace where beacon listens on 127.0.0.1:53;
//   - beacon itself as the resolver: `recursors` pointing at a dnsmasq that serves a test
//     zone ([recursor] cases);
//   - without recursors, names outside the domain are REFUSED.
//
// The configurations here are the ones docs/integrations.md documents. dnsmasq and Unbound
// come from scripts/install-deps.sh; when they are missing the cases fail and say so.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/fixtures.h"
#include "tests/support/dns_daemon.h"
#include "tests/support/loopback_port.h"
#include "tests/support/raw_dns.h"
#include "tests/support/subprocess.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;

// Three instances of "web"; web-2 is critical and must never be answered.
constexpr const char* kServices = R"(
[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.11"
port    = 8080

[[services]]
id      = "web-2"
name    = "web"
address = "127.0.0.12"
port    = 8080
  [[services.checks]]
  ttl    = "10m"
  status = "critical"

[[services]]
id      = "web-3"
name    = "web"
address = "127.0.0.13"
port    = 8080
)";

// A config listening on `dns` (0: a free port), with `extra` top-level keys and
// `dns_config` lines.
std::string agent_config(const std::string& extra = "", const std::string& dns_config = "", int dns = 0) {
  return agent_toml(R"(
[dns_config]
service_ttl = { "*" = "5s" }
)" + dns_config + "\n" + kServices,
                    {.dns = dns, .http = -1, .top = "datacenter  = \"dc1\"\n" + extra});
}

const std::vector<std::string> kHealthy = {"127.0.0.11", "127.0.0.13"};
const std::vector<std::string> kHealthySrv = {"1 1 8080 7f00000b.addr.dc1.consul.",
                                              "1 1 8080 7f00000d.addr.dc1.consul."};

// Fails the test, saying to run scripts/install-deps.sh, when `program` is not installed.
#define REQUIRE_PROGRAM(program, package)                                          \
  do {                                                                             \
    std::string missing_ = ::beacon::test::missing_program((program), (package)); \
    if (!missing_.empty()) FAIL(missing_);                                         \
  } while (0)

// Starts a DnsDaemon or fails the test with its command line and log.
#define REQUIRE_DAEMON(daemon, make_argv, probe)                         \
  do {                                                                   \
    if (!(daemon).start((make_argv), (probe))) FAIL((daemon).failure()); \
  } while (0)

// The questions every resolver in front of beacon must get right, asked of `port` (the
// resolver) with dig over UDP and then over TCP. Each transport asks its own spelling of
// the names (with and without the datacenter label), so neither is answered from the
// resolver's cache and both go through to beacon. `srv_glue`: the resolver passes the SRV
// targets' A records on in the additional section (dnsmasq does when it forwards, but not
// from its cache; Unbound never does).
void check_through_resolver(uint16_t port, const DnsDaemon& resolver, bool srv_glue) {
  for (bool tcp : {false, true}) {
    std::vector<std::string> transport;
    if (tcp) transport.push_back("+tcp");
    const std::string dc = tcp ? "dc1." : "";
    INFO((tcp ? "tcp" : "udp"));

    DigResult a = ask_dig(port, "web.service." + dc + "consul", "A", transport);
    INFO(describe(a) << "\nresolver log:\n" << resolver.log());
    REQUIRE(a.answered);
    CHECK(a.rcode == "NOERROR");
    CHECK(a.ra);
    CHECK(sorted_rdata(of_type(a.answer, "A")) == kHealthy);

    DigResult srv = ask_dig(port, "web.service." + dc + "consul", "SRV", transport);
    INFO(describe(srv));
    REQUIRE(srv.answered);
    CHECK(srv.rcode == "NOERROR");
    CHECK(sorted_rdata(of_type(srv.answer, "SRV")) == kHealthySrv);
    if (srv_glue) CHECK(sorted_rdata(of_type(srv.additional, "A")) == kHealthy);

    // The SRV targets resolve through the resolver too.
    const std::string target_name = tcp ? "7f00000d.addr.dc1.consul" : "7f00000b.addr.dc1.consul";
    DigResult target = ask_dig(port, target_name, "A", transport);
    INFO(describe(target));
    REQUIRE(target.answered);
    CHECK(sorted_rdata(of_type(target.answer, "A")) ==
          std::vector<std::string>{tcp ? "127.0.0.13" : "127.0.0.11"});

    DigResult nope = ask_dig(port, "nope.service." + dc + "consul", "A", transport);
    INFO(describe(nope));
    REQUIRE(nope.answered);
    CHECK(nope.rcode == "NXDOMAIN");
    CHECK(nope.answer.empty());
  }
}

std::string unbound_zone(const char* kind, uint16_t beacon_port) {
  const char* addr = std::string_view(kind) == "forward-zone" ? "forward-addr" : "stub-addr";
  return std::string(kind) + ":\n  name: \"consul\"\n  " + addr + ": 127.0.0.1@" + std::to_string(beacon_port) + "\n";
}

// The server: lines docs/integrations.md gives for Unbound, minus what the test harness sets.
constexpr const char* kUnboundServerLines =
    "  do-not-query-localhost: no\n"
    "  domain-insecure: \"consul\"\n"
    "  module-config: \"iterator\"\n";

}  // namespace

TEST_CASE("resolvers: dnsmasq forwarding the domain answers the healthy instances and NXDOMAIN",
          "[integration][resolvers]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config());
  DnsDaemon dnsmasq("dnsmasq");
  const std::string server = "--server=/consul/127.0.0.1#" + std::to_string(agent.port());
  REQUIRE_DAEMON(dnsmasq, [&](uint16_t port) { return dnsmasq_argv(dnsmasq.dir(), port, {server}); }, "consul");

  check_through_resolver(dnsmasq.port(), dnsmasq, true);
  // The answers came from beacon through the forwarding rule, over both transports.
  for (const char* name : {"web.service.consul", "web.service.dc1.consul"})
    CHECK_THAT(dnsmasq.log(), Catch::Contains(std::string("forwarded ") + name + " to 127.0.0.1#" +
                                              std::to_string(agent.port())));
  // A repeated question is answered from dnsmasq's cache: the same instances (though
  // without the SRV glue, see docs/integrations.md).
  DigResult cached = ask_dig(dnsmasq.port(), "web.service.consul", "SRV");
  INFO(describe(cached) << "\nresolver log:\n" << dnsmasq.log());
  REQUIRE(cached.answered);
  CHECK(sorted_rdata(of_type(cached.answer, "SRV")) == kHealthySrv);
  CHECK_THAT(dnsmasq.log(), Catch::Contains("cached web.service.consul is <SRV>"));
  CHECK(dnsmasq.stop() == 0);
  CHECK(agent.stop() == 0);
}

TEST_CASE("resolvers: unbound with a forward-zone for the domain answers the healthy instances and NXDOMAIN",
          "[integration][resolvers]") {
  REQUIRE_PROGRAM(kUnboundPath, "unbound");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config());
  DnsDaemon unbound("unbound");
  const std::string zone = unbound_zone("forward-zone", agent.port());
  REQUIRE_DAEMON(
      unbound, [&](uint16_t port) { return unbound_argv(unbound.dir(), port, kUnboundServerLines, zone); }, "consul");

  check_through_resolver(unbound.port(), unbound, false);
  CHECK(unbound.stop() == 0);
  CHECK(agent.stop() == 0);
}

TEST_CASE("resolvers: unbound with a stub-zone for the domain answers the healthy instances and NXDOMAIN",
          "[integration][resolvers]") {
  REQUIRE_PROGRAM(kUnboundPath, "unbound");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config());
  DnsDaemon unbound("unbound");
  const std::string zone = unbound_zone("stub-zone", agent.port());
  REQUIRE_DAEMON(
      unbound, [&](uint16_t port) { return unbound_argv(unbound.dir(), port, kUnboundServerLines, zone); }, "consul");

  check_through_resolver(unbound.port(), unbound, false);
  CHECK(unbound.stop() == 0);
  CHECK(agent.stop() == 0);
}

namespace {

// The first of `candidates` that is executable, or "".
std::string find_program(std::initializer_list<const char*> candidates) {
  for (const char* c : candidates)
    if (::access(c, X_OK) == 0) return c;
  return "";
}

const std::vector<std::string> kUnshare = {"unshare", "--net", "--mount", "--pid", "--fork", "--kill-child",
                                           "--mount-proc"};

// Runs inside the namespaces as PID 1: everything it starts dies with it. Prints one
// "### NAME rc=N" header per check, followed by the check's output.
constexpr const char* kNamespaceScript = R"SH(set -u
dir="$1"
beacon="$2"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
die() { echo "### setup-failed rc=1"; echo "$*"; exit 1; }
check() {
  local name="$1"; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  printf '### %s rc=%d\n%s\n' "$name" "$rc" "$out"
}

ip link set lo up || die "ip link set lo up failed"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' > "$dir/resolv.conf"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > "$dir/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$dir/hosts"
# /etc/resolv.conf may be a symlink (systemd-resolved, resolvconf): cover what it points to.
resolv=$(readlink -f /etc/resolv.conf)
[ -e "$resolv" ] || die "/etc/resolv.conf points to missing $resolv"
mount --bind "$dir/resolv.conf" "$resolv" || die "cannot bind-mount resolv.conf"
mount --bind "$dir/nsswitch.conf" /etc/nsswitch.conf || die "cannot bind-mount nsswitch.conf"
mount --bind "$dir/hosts" /etc/hosts || die "cannot bind-mount hosts"
# A host nscd would answer from its cache, bypassing resolv.conf: hide its socket.
if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd || die "cannot hide /run/nscd"; fi

"$beacon" agent --config "$dir/beacon.toml" > "$dir/beacon.out" 2> "$dir/beacon.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q 'dns: listening on 127.0.0.1:53 ' "$dir/beacon.log" && break
  sleep 0.1
done
grep -q 'dns: listening on 127.0.0.1:53 ' "$dir/beacon.log" || die "beacon did not listen on 53: $(cat "$dir/beacon.log")"

# An HTTP server on each healthy instance's address (web-2, critical, gets none).
for n in 11 13; do
  mkdir -p "$dir/www$n"
  echo "instance 127.0.0.$n" > "$dir/www$n/index.html"
  python3 -m http.server --bind "127.0.0.$n" --directory "$dir/www$n" 8080 > "$dir/http$n.log" 2>&1 &
  pids+=($!)
done
for n in 11 13; do
  for _ in $(seq 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.$n:8080/" && break
    sleep 0.1
  done
done

check resolv-conf cat /etc/resolv.conf
check getent-hosts getent hosts web.service.consul
check getent-ahosts getent ahosts web.service.consul
check getent-srv-target getent hosts 7f00000d.addr.dc1.consul
check getent-unknown getent hosts nope.service.consul
check curl curl -sS --max-time 5 http://web.service.consul:8080/
echo "### end rc=0"
)SH";

struct Section {
  int rc = -1;
  std::string text;
};

// Splits the script's output on its "### NAME rc=N" headers.
std::map<std::string, Section> parse_sections(const std::string& out) {
  std::map<std::string, Section> sections;
  std::istringstream in(out);
  std::string line;
  Section* current = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) {
      size_t rc_at = line.rfind(" rc=");
      if (rc_at != std::string::npos && rc_at > 4) {
        current = &sections[line.substr(4, rc_at - 4)];
        current->rc = std::atoi(line.c_str() + rc_at + 4);
        continue;
      }
    }
    if (current) current->text += line + "\n";
  }
  return sections;
}

// The first field of each non-empty line (getent prints the address first), as a set.
std::set<std::string> first_fields(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string first;
    if (fields >> first) out.insert(first);
  }
  return out;
}

}  // namespace

TEST_CASE("resolvers: an unmodified program resolves service names through the system resolver",
          "[integration][resolvers]") {
  for (auto [program, package] : {std::pair{"/usr/bin/getent", "libc-bin"}, std::pair{"/usr/bin/curl", "curl"},
                                  std::pair{"/usr/bin/python3", "python3"}, std::pair{"/usr/bin/unshare", "util-linux"}})
    REQUIRE_PROGRAM(program, package);
  if (find_program({"/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"}).empty())
    FAIL("ip is not installed (Debian package iproute2); run scripts/install-deps.sh");

  // Private network and mount namespaces need root (CAP_SYS_ADMIN); some containers forbid
  // them even to root. CI runs as root and must take this path.
  std::vector<std::string> probe = kUnshare;
  probe.push_back("true");
  CommandResult allowed = run_command(probe, std::chrono::seconds(5));
  if (allowed.exit_code != 0) {
    WARN("skipping: cannot create network/mount/pid namespaces (unshare needs root or CAP_SYS_ADMIN, uid "
         << ::getuid() << "): " << allowed.err);
    return;
  }

  TempDir dir;
  AgentProcess config_writer(dir.path());  // only to write the config with @DATA_DIR@ filled in
  config_writer.write_config(agent_config("", "", 53));
  std::ofstream(dir.path() / "check.sh") << kNamespaceScript;

  std::vector<std::string> argv = kUnshare;
  argv.insert(argv.end(), {"bash", (dir.path() / "check.sh").string(), dir.path().string(), beacon_binary()});
  CommandResult r = run_command(argv, std::chrono::seconds(30));
  INFO("$ unshare ... bash check.sh\nexit " << r.exit_code << (r.timed_out ? " (timed out)" : "") << "\nstdout:\n"
                                            << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  std::map<std::string, Section> s = parse_sections(r.out);
  REQUIRE(s.count("setup-failed") == 0);
  REQUIRE(s.count("end") == 1);

  CHECK_THAT(s["resolv-conf"].text, Catch::Contains("nameserver 127.0.0.1"));
  // getent hosts: gethostbyname2, one line per address.
  CHECK(s["getent-hosts"].rc == 0);
  CHECK(first_fields(s["getent-hosts"].text) == std::set<std::string>(kHealthy.begin(), kHealthy.end()));
  // getent ahosts: getaddrinfo (A and AAAA; beacon has no AAAA for these, so IPv4 only).
  CHECK(s["getent-ahosts"].rc == 0);
  CHECK(first_fields(s["getent-ahosts"].text) == std::set<std::string>(kHealthy.begin(), kHealthy.end()));
  CHECK(first_fields(s["getent-srv-target"].text) == std::set<std::string>{"127.0.0.13"});
  // NXDOMAIN: getent's "key not found" exit code.
  CHECK(s["getent-unknown"].rc == 2);
  CHECK(first_fields(s["getent-unknown"].text).empty());
  // curl connects to one of the healthy instances by the service name.
  CHECK(s["curl"].rc == 0);
  CHECK_THAT(s["curl"].text, Catch::Matches("instance 127\\.0\\.0\\.1[13]\n", Catch::CaseSensitive::Yes));
}

TEST_CASE("resolvers: without recursors a name outside the domain is REFUSED with RA clear",
          "[integration][resolvers]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config());
  for (bool tcp : {false, true}) {
    DigResult r = ask_dig(agent.port(), "www.example.test", "A", tcp ? std::vector<std::string>{"+tcp"}
                                                                      : std::vector<std::string>{});
    REQUIRE_ANSWERED(r);
    CHECK(r.rcode == "REFUSED");
    CHECK_FALSE(r.ra);
    CHECK(r.answer.empty());
  }
  // In-zone names are still answered, and a reverse name beacon does not know is NXDOMAIN.
  DigResult web = ask_dig(agent.port(), "web.service.consul", "A");
  REQUIRE_ANSWERED(web);
  CHECK(sorted_rdata(web.answer) == kHealthy);
  DigResult ptr = dig(agent.port(), {"-x", "192.0.2.10"});
  REQUIRE_ANSWERED(ptr);
  CHECK(ptr.rcode == "NXDOMAIN");
  CHECK(agent.stop() == 0);
}

// ---------------------------------------------------------------------------------------
// beacon as the resolver: `recursors` (Consul's option) send names outside the domain, and
// reverse names beacon does not know, to upstream servers. The upstream here is a dnsmasq
// that serves example.test: www.example.test A 192.0.2.10 (and its PTR), big.example.test
// with 40 A records (674 bytes: more than 512, so truncated over UDP without EDNS); every
// other name under example.test is NXDOMAIN.

namespace {

constexpr int kBigRecords = 40;

std::vector<std::string> upstream_zone() {
  std::vector<std::string> args = {"--local=/example.test/", "--host-record=www.example.test,192.0.2.10"};
  for (int i = 1; i <= kBigRecords; ++i) args.push_back("--host-record=big.example.test,198.51.100." + std::to_string(i));
  return args;
}

std::string recursors_line(const std::vector<uint16_t>& ports) {
  std::string line = "recursors = [";
  for (size_t i = 0; i < ports.size(); ++i)
    line += (i ? ", " : "") + std::string("\"127.0.0.1:") + std::to_string(ports[i]) + "\"";
  return line + "]";
}

// dig, with a deadline longer than any recursor_timeout used here.
DigResult dig_long(uint16_t port, std::vector<std::string> args) {
  args.push_back("+time=5");
  return dig(port, args);
}

}  // namespace

TEST_CASE("recursor: names outside the domain are resolved through the upstream over udp and tcp",
          "[integration][resolvers][recursor]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  DnsDaemon upstream("dnsmasq");
  REQUIRE_DAEMON(upstream, [&](uint16_t port) { return dnsmasq_argv(upstream.dir(), port, upstream_zone()); },
                 "example.test");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config(recursors_line({upstream.port()}), "recursor_timeout = \"1s\"\n"));
  INFO("upstream log:\n" << upstream.log());

  for (bool tcp : {false, true}) {
    INFO((tcp ? "tcp" : "udp"));
    std::vector<std::string> transport;
    if (tcp) transport.push_back("+tcp");

    DigResult www = ask_dig(agent.port(), "www.example.test", "A", transport);
    INFO(describe(www) << "\nagent log:\n" << agent.log());
    REQUIRE(www.answered);
    CHECK(www.rcode == "NOERROR");
    CHECK(www.ra);
    CHECK(www.rd);
    CHECK(www.qname == "www.example.test.");
    CHECK(sorted_rdata(of_type(www.answer, "A")) == std::vector<std::string>{"192.0.2.10"});

    DigResult missing = ask_dig(agent.port(), "nothing.example.test", "A", transport);
    INFO(describe(missing));
    REQUIRE(missing.answered);
    CHECK(missing.rcode == "NXDOMAIN");
    CHECK(missing.ra);
    CHECK(missing.answer.empty());

    // A reverse name beacon does not know goes upstream too.
    std::vector<std::string> ptr_args{"-x", "192.0.2.10"};
    ptr_args.insert(ptr_args.end(), transport.begin(), transport.end());
    DigResult ptr = dig(agent.port(), ptr_args);
    INFO(describe(ptr));
    REQUIRE(ptr.answered);
    CHECK(ptr.rcode == "NOERROR");
    CHECK(sorted_rdata(of_type(ptr.answer, "PTR")) == std::vector<std::string>{"www.example.test."});

    // beacon's own names and addresses are still its own.
    DigResult web = ask_dig(agent.port(), "web.service.consul", "A", transport);
    INFO(describe(web));
    REQUIRE(web.answered);
    CHECK(web.aa);
    CHECK(sorted_rdata(web.answer) == kHealthy);
    DigResult own_ptr = dig(agent.port(), {"-x", "127.0.0.11"});
    INFO(describe(own_ptr));
    REQUIRE(own_ptr.answered);
    CHECK(sorted_rdata(of_type(own_ptr.answer, "PTR")) == std::vector<std::string>{"web.service.dc1.consul."});
  }

  // The relayed reply carries the client's ID (and question), not the upstream query's.
  for (bool tcp : {false, true}) {
    for (uint16_t id : {uint16_t{0x0001}, uint16_t{0xbeef}}) {
      auto reply = send_raw(agent.port(), build_query({.id = id, .qname = "www.example.test"}), tcp,
                            std::chrono::seconds(3));
      INFO((tcp ? "tcp" : "udp") << " id " << id);
      REQUIRE(reply.has_value());
      auto msg = decode_wire(reply->data(), reply->size());
      REQUIRE(msg.has_value());
      CHECK(msg->id == id);
      CHECK(msg->qr);
      CHECK(msg->ra);
      CHECK(msg->rcode == "NOERROR");
      CHECK(msg->qname == "www.example.test.");
      CHECK(sorted_rdata(of_type(msg->answer, "A")) == std::vector<std::string>{"192.0.2.10"});
    }
  }
  CHECK(agent.stop() == 0);
}

TEST_CASE("recursor: a truncated upstream reply is relayed with TC and the TCP retry gets all of it",
          "[integration][resolvers][recursor]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  DnsDaemon upstream("dnsmasq");
  REQUIRE_DAEMON(upstream, [&](uint16_t port) { return dnsmasq_argv(upstream.dir(), port, upstream_zone()); },
                 "example.test");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config(recursors_line({upstream.port()}), "recursor_timeout = \"1s\"\n"));
  INFO("agent log:\n" << agent.log() << "\nupstream log:\n" << upstream.log());

  // Without EDNS the whole answer does not fit in 512 bytes: TC, as the upstream said.
  DigResult udp = dig(agent.port(), {"big.example.test", "A", "+noedns", "+ignore"});
  INFO(describe(udp));
  REQUIRE(udp.answered);
  CHECK(udp.rcode == "NOERROR");
  CHECK(udp.tc);
  CHECK(udp.ra);
  CHECK(udp.answer.size() < kBigRecords);

  // dig retries over TCP by itself, and beacon forwards that over TCP.
  DigResult retried = dig(agent.port(), {"big.example.test", "A", "+noedns"});
  INFO(describe(retried));
  REQUIRE(retried.answered);
  CHECK_FALSE(retried.tc);
  CHECK(of_type(retried.answer, "A").size() == kBigRecords);
  CHECK_THAT(retried.output, Catch::Contains("(TCP)"));

  CHECK(agent.stop() == 0);
}

TEST_CASE("recursor: a reply larger than 512 bytes is relayed whole over udp to an EDNS client",
          "[integration][resolvers][recursor]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  DnsDaemon upstream("dnsmasq");
  REQUIRE_DAEMON(upstream, [&](uint16_t port) { return dnsmasq_argv(upstream.dir(), port, upstream_zone()); },
                 "example.test");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config(recursors_line({upstream.port()}), "recursor_timeout = \"1s\"\n"));

  // dig offers 1232 bytes with EDNS; the 685-byte answer fits, so no TC and no TCP retry.
  DigResult edns = dig(agent.port(), {"big.example.test", "A", "+ignore"});
  INFO(describe(edns));
  REQUIRE(edns.answered);
  CHECK_THAT(edns.output, !Catch::Contains("malformed"));
  CHECK_FALSE(edns.tc);
  CHECK(of_type(edns.answer, "A").size() == kBigRecords);

  // The same with a hand-made query: a well-formed message, larger than 512 bytes.
  auto reply = send_raw(agent.port(), build_query({.id = 0x0bad, .qname = "big.example.test", .edns_version = 0}),
                        false, std::chrono::seconds(3));
  REQUIRE(reply.has_value());
  INFO("reply of " << reply->size() << " bytes");
  auto msg = decode_wire(reply->data(), reply->size());
  REQUIRE(msg.has_value());
  CHECK(msg->id == 0x0bad);
  CHECK_FALSE(msg->tc);
  CHECK(of_type(msg->answer, "A").size() == kBigRecords);
  CHECK(reply->size() > 512);
  CHECK(agent.stop() == 0);
}

TEST_CASE("recursor: a dead upstream gives SERVFAIL within recursor_timeout", "[integration][resolvers][recursor]") {
  BlackholePort silent;
  REQUIRE(silent.port() != 0);
  const uint16_t closed = closed_udp_port();
  REQUIRE(closed != 0);
  // One that drops queries (the timeout must fire) and one that refuses them (ICMP).
  for (auto [what, port] : {std::pair{"drops", silent.port()}, std::pair{"refuses", closed}}) {
    INFO("upstream that " << what << " on 127.0.0.1:" << port);
    AgentProcess agent;
    REQUIRE_STARTED(agent, agent_config(recursors_line({port}), "recursor_timeout = \"1s\"\n"));
    for (bool tcp : {false, true}) {
      std::vector<std::string> args{"www.example.test", "A"};
      if (tcp) args.push_back("+tcp");
      auto started = Clock::now();
      DigResult r = dig_long(agent.port(), args);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
      INFO((tcp ? "tcp" : "udp") << " took " << took.count() << " ms\n" << describe(r) << "\nagent log:\n"
                                 << agent.log());
      REQUIRE(r.answered);
      CHECK(r.rcode == "SERVFAIL");
      CHECK(took < std::chrono::seconds(3));
    }
    CHECK(agent.stop() == 0);
  }
}

TEST_CASE("recursor: the sequential strategy falls through a dead first recursor to the second",
          "[integration][resolvers][recursor]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  DnsDaemon upstream("dnsmasq");
  REQUIRE_DAEMON(upstream, [&](uint16_t port) { return dnsmasq_argv(upstream.dir(), port, upstream_zone()); },
                 "example.test");
  BlackholePort dead;
  REQUIRE(dead.port() != 0);
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config(recursors_line({dead.port(), upstream.port()}),
                                      "recursor_timeout = \"1s\"\nrecursor_strategy = \"sequential\"\n"));
  auto started = Clock::now();
  DigResult r = dig_long(agent.port(), {"www.example.test", "A"});
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  INFO("took " << took.count() << " ms\n" << describe(r) << "\nagent log:\n" << agent.log());
  REQUIRE(r.answered);
  CHECK(r.rcode == "NOERROR");
  CHECK(r.ra);
  CHECK(sorted_rdata(of_type(r.answer, "A")) == std::vector<std::string>{"192.0.2.10"});
  CHECK(took < std::chrono::seconds(3));
  CHECK(agent.stop() == 0);
}

TEST_CASE("recursor: clients outside recursion_allowed_from are REFUSED", "[integration][resolvers][recursor]") {
  REQUIRE_PROGRAM(kDnsmasqPath, "dnsmasq-base");
  DnsDaemon upstream("dnsmasq");
  REQUIRE_DAEMON(upstream, [&](uint16_t port) { return dnsmasq_argv(upstream.dir(), port, upstream_zone()); },
                 "example.test");
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_config(recursors_line({upstream.port()}),
                                      "recursor_timeout = \"1s\"\nrecursion_allowed_from = [\"127.0.0.2/32\"]\n"));
  for (bool tcp : {false, true}) {
    INFO((tcp ? "tcp" : "udp") << "\nagent log:\n" << agent.log());
    std::vector<std::string> transport;
    if (tcp) transport.push_back("+tcp");

    std::vector<std::string> outside{"-b", "127.0.0.1", "www.example.test", "A"};
    outside.insert(outside.end(), transport.begin(), transport.end());
    DigResult refused = dig(agent.port(), outside);
    INFO(describe(refused));
    REQUIRE(refused.answered);
    CHECK(refused.rcode == "REFUSED");
    CHECK(refused.answer.empty());

    std::vector<std::string> inside{"-b", "127.0.0.2", "www.example.test", "A"};
    inside.insert(inside.end(), transport.begin(), transport.end());
    DigResult answered = dig(agent.port(), inside);
    INFO(describe(answered));
    REQUIRE(answered.answered);
    CHECK(answered.rcode == "NOERROR");
    CHECK(answered.ra);
    CHECK(sorted_rdata(of_type(answered.answer, "A")) == std::vector<std::string>{"192.0.2.10"});

    // The restriction is on recursion only: the domain is answered to everyone.
    std::vector<std::string> own{"-b", "127.0.0.1", "web.service.consul", "A"};
    own.insert(own.end(), transport.begin(), transport.end());
    DigResult web = dig(agent.port(), own);
    INFO(describe(web));
    REQUIRE(web.answered);
    CHECK(web.rcode == "NOERROR");
    CHECK(sorted_rdata(web.answer) == kHealthy);
  }
  CHECK(agent.stop() == 0);
}

}  // namespace beacon::test
