// Shared pieces of the integration tests: the agent config every case starts from, the DNS
// clients every lookup runs through, and Catch2 shorthands that print the agent's log or the
// tool's output when a check fails.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "tests/support/agent_process.h"
#include "tests/support/dig.h"
#include "tests/support/dns_case.h"

namespace beacon::test {

// The top of agent_toml(): each field defaults to what nearly every case uses.
struct AgentToml {
  std::string node_name = "demo";
  std::string bind_addr = "127.0.0.1";  // empty: not set
  bool data_dir = true;  // data_dir = "@DATA_DIR@" (AgentProcess fills it in); false for --dev
  int dns = 0;           // [ports]: 0 lets the kernel choose (AgentProcess reads it from the log)
  int http = 0;          // -1: no HTTP API
  std::string top{};     // more top-level keys, one per line ("datacenter = \"dc1\"")
};

// An agent's whole config: node_name, data_dir, bind_addr, client_addr 127.0.0.1, the `top`
// keys, [ports], then `tables` ([dns_config], [[services]], ...) as given.
inline std::string agent_toml(std::string_view tables = "", const AgentToml& a = {}) {
  std::string toml = "node_name   = \"" + a.node_name + "\"\n";
  if (a.data_dir) toml += "data_dir    = \"@DATA_DIR@\"\n";
  if (!a.bind_addr.empty()) toml += "bind_addr   = \"" + a.bind_addr + "\"\n";
  toml += "client_addr = \"127.0.0.1\"\n";
  toml += a.top;
  if (!a.top.empty() && a.top.back() != '\n') toml += '\n';
  toml += "\n[ports]\ndns  = " + std::to_string(a.dns) + "\nhttp = " + std::to_string(a.http) + "\n\n";
  toml += tables;
  return toml;
}

// One way of asking: a tool over a transport.
struct Client {
  Tool tool;
  bool tcp;
  const char* name;
};

inline const std::vector<Client>& all_clients() {
  static const std::vector<Client> clients{
      {Tool::dig, false, "dig/udp"}, {Tool::dig, true, "dig/tcp"}, {Tool::kdig, false, "kdig/udp"},
      {Tool::kdig, true, "kdig/tcp"}};
  return clients;
}

inline DigResult ask(const Client& c, uint16_t port, const std::string& qname, const std::string& qtype,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args{qname, qtype};
  if (c.tcp) args.push_back("+tcp");
  args.insert(args.end(), extra.begin(), extra.end());
  return query_with(c.tool, port, args);
}

inline DigResult ask_dig(uint16_t port, const std::string& qname, const std::string& qtype,
                         std::vector<std::string> extra = {}) {
  return ask(all_clients()[0], port, qname, qtype, std::move(extra));
}

inline std::string describe(const DigResult& r) { return "$ " + r.command + "\n" + r.output; }

}  // namespace beacon::test

// Starts `agent` with `toml`, or fails the test with the agent's log.
#define REQUIRE_STARTED(agent, toml)                                           \
  do {                                                                         \
    if (!(agent).start(toml)) FAIL("agent did not start: " << (agent).failure()); \
  } while (0)

// Fails the test unless the tool printed a reply; otherwise records its output for later checks.
#define REQUIRE_ANSWERED(result)                 \
  do {                                           \
    INFO(::beacon::test::describe(result));      \
    REQUIRE((result).answered);                  \
    REQUIRE((result).unparsed.empty());          \
  } while (0)

// Asks `dns_case` with `client` and compares the whole reply with it.
#define CHECK_CASE(client, port, dns_case)                                                          \
  do {                                                                                              \
    const ::beacon::test::DnsCase& case_ = (dns_case);                                              \
    ::beacon::test::DigResult reply_ = ::beacon::test::ask((client), (port), case_.qname, case_.qtype); \
    INFO((client).name << " " << case_.qname << " " << case_.qtype << "\n"                          \
                       << ::beacon::test::describe(reply_));                                        \
    REQUIRE(reply_.answered);                                                                       \
    CHECK(reply_.unparsed.empty());                                                                 \
    CHECK(::beacon::test::check_case(case_, reply_) == "");                                         \
  } while (0)
