#include "tests/support/dns_case.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace beacon::test {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The expected record as tokens of Record::str(): through ldns when it parses (no "*"
// fields), else split as written with the class dropped and the owner lower-cased.
std::vector<std::string> expected_tokens(const std::string& text) {
  if (text.find('*') == std::string::npos)
    if (auto r = record_from_text(text)) return split(r->str());
  std::vector<std::string> t = split(text);
  if (t.size() > 2 && (t[2] == "IN" || t[2] == "CH")) t.erase(t.begin() + 2);
  if (!t.empty()) t[0] = lower(t[0]);
  if (!t.empty() && t[0].back() != '.') t[0] += '.';
  return t;
}

void check_section(const char* name, const std::vector<std::string>& want, const std::vector<Record>& got,
                   std::ostringstream& diff) {
  std::vector<bool> used(got.size(), false);
  std::vector<std::string> missing;
  for (const std::string& w : want) {
    bool found = false;
    for (size_t i = 0; i < got.size() && !found; ++i)
      if (!used[i] && record_matches(w, got[i])) used[i] = found = true;
    if (!found) missing.push_back(w);
  }
  for (const std::string& m : missing) diff << name << ": missing   " << m << "\n";
  for (size_t i = 0; i < got.size(); ++i)
    if (!used[i]) diff << name << ": unexpected " << got[i].str() << "\n";
}

}  // namespace

bool record_matches(const std::string& expected, const Record& actual) {
  std::vector<std::string> want = expected_tokens(expected), have = split(actual.str());
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] != "*" && want[i] != have[i]) return false;
  return true;
}

std::string check_case(const DnsCase& c, const Message& reply) {
  std::ostringstream diff;
  if (reply.rcode != c.rcode) diff << "rcode: want " << c.rcode << ", got " << reply.rcode << "\n";
  if (!reply.qr) diff << "flags: QR is not set\n";
  if (c.aa && reply.aa != *c.aa) diff << "flags: want aa=" << *c.aa << ", got aa=" << reply.aa << "\n";
  if (c.tc && reply.tc != *c.tc) diff << "flags: want tc=" << *c.tc << ", got tc=" << reply.tc << "\n";
  check_section("answer", c.answer, reply.answer, diff);
  check_section("authority", c.authority, reply.authority, diff);
  check_section("additional", c.additional, reply.additional, diff);
  return diff.str();
}

}  // namespace beacon::test
