// Test fixture for the DNS answer layer: a real catalog (MemoryStore, Writer,
// Replica) feeding a real ZonePublisher, and a client that sends a question through
// dns::answer() and decodes the reply with the shared decoder of tests/support/dns_message.h.
// check_case compares a reply with expected sections, ignoring record order, through the one
// case checker of tests/support/dns_case.h (adding the exact flag string).
#pragma once


#include <memory>
#include <string>
#include <vector>

#include "catalog/change_feed.h"
#include "catalog/memory_store.h"
#include "catalog/keyspace.h"
#include "catalog/replica.h"
#include "catalog/writer.h"
#include "config/config.h"
#include "dns/answer.h"
#include "dns/snapshot.h"
#include "dns/zone_builder.h"
#include "dns/zone_publisher.h"

namespace beacon::dns::test {

// A decoded reply. Records are in presentation form, one string each, whitespace
// normalised to single spaces, e.g. "web.service.consul. 0 IN A 10.0.0.1".
struct Reply {
  bool ok = false;      // a reply came back and ldns decoded it
  size_t size = 0;
  std::string rcode;    // "NOERROR", "NXDOMAIN", ... ("BADVERS" from the OPT's extended rcode)
  std::string flags;    // e.g. "qr aa rd" (in this order: qr aa tc rd ra)
  uint16_t id = 0;
  std::string question;  // owner of the question as sent back
  std::vector<std::string> answer, authority, additional;  // additional excludes the OPT
  bool has_opt = false;
  uint16_t opt_udp_size = 0;
  std::vector<uint8_t> wire;
};

struct AskOptions {
  bool tcp = false;
  bool edns = true;
  uint16_t bufsize = 1232;
  uint8_t edns_version = 0;
  bool rd = true;
};

class Fixture {
 public:
  explicit Fixture(config::Config cfg = default_config());
  static config::Config default_config();

  catalog::Writer& writer() { return *writer_; }
  catalog::Replica& replica() { return feed_.replica(); }
  const Zone& zone() const { return *holder_.load(); }
  ZoneBuilder& builder() { return publisher_.builder(); }

  void node(const std::string& name, const std::string& address, std::map<std::string, std::string> meta = {});
  // Registers an instance on `node` with optional checks ("passing", "warning", "critical").
  void service(const std::string& node, const std::string& id, const std::string& name, const std::string& address,
               uint16_t port, std::vector<std::string> tags = {}, std::vector<std::string> check_statuses = {},
               catalog::Weights weights = {});
  void node_check(const std::string& node, const std::string& id, catalog::Health status);
  void reconfigure(const config::Config& cfg);

  // Sends `qname qtype` through dns::answer() and decodes the reply.
  Reply ask(const std::string& qname, uint16_t qtype, AskOptions opt = {});
  // Sends raw bytes; returns the decoded reply (ok=false when nothing was sent back).
  Reply ask_raw(const std::vector<uint8_t>& wire, Transport t = Transport::udp);

 private:
  // The agent's path from a commit to the zone (catalog::ChangeFeed, dns::ZonePublisher),
  // with each change flushed at once (no event loop here).
  std::unique_ptr<catalog::MemoryStore> store_;
  std::unique_ptr<catalog::Writer> writer_;
  catalog::ChangeFeed feed_;
  SnapshotHolder<Zone> holder_;
  ZonePublisher publisher_;
  Scratch scratch_;
  std::vector<uint8_t> out_;
};

// Builds a query message with ldns (QR clear, RD set per options, optional OPT).
std::vector<uint8_t> make_query(const std::string& qname, uint16_t qtype, const AskOptions& opt, uint16_t id = 4242);
// Decodes a reply message with ldns.
Reply decode(const uint8_t* data, size_t size);

struct DnsCase {
  std::string qname;
  uint16_t qtype;
  std::string rcode;
  std::string flags;  // exact flag string, e.g. "qr aa rd"
  std::vector<std::string> answer;
  std::vector<std::string> authority;
  std::vector<std::string> additional;
};

// Asks the case's question and CHECKs rcode, flags and each section (order ignored).
void check_case(Fixture& f, const DnsCase& c, AskOptions opt = {});

}  // namespace beacon::dns::test
