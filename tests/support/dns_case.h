// Table-driven DNS checks: one DnsCase per question, compared with a reply ignoring the
// order of the records in each section (the server shuffles them).
//
// Expected records are written in presentation form, "owner ttl type rdata" (a class
// between ttl and type is allowed), and are normalised through ldns, so spacing and case of
// the owner do not matter. A field written as "*" matches any value in that position (e.g.
// the SOA serial). Pure functions; no shared state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tests/support/dns_message.h"

namespace beacon::test {

struct DnsCase {
  std::string qname;
  std::string qtype = "A";
  std::string rcode = "NOERROR";
  std::vector<std::string> answer = {};
  std::vector<std::string> authority = {};
  std::vector<std::string> additional = {};
  std::optional<bool> aa = true;   // checked when set
  std::optional<bool> tc = false;  // checked when set
};

// Returns "" when `reply` matches `c` (rcode, the flags that are set in `c`, and each
// section exactly, in any order); otherwise one line per difference.
std::string check_case(const DnsCase& c, const Message& reply);

// Whether `actual` matches the expected record text `expected` (with "*" fields).
bool record_matches(const std::string& expected, const Record& actual);

}  // namespace beacon::test
