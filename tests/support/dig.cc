#include "tests/support/dig.h"

#include <chrono>
#include <regex>
#include <sstream>

#include "tests/support/subprocess.h"

namespace beacon::test {
namespace {

enum class Section { none, question, answer, authority, additional };

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Matches `re` against `line` and returns the first group, or "".
std::string group(const std::string& line, const std::regex& re) {
  std::smatch m;
  return std::regex_search(line, m, re) ? m[1].str() : std::string();
}

void parse_flags(const std::string& line, Message& m) {
  // ";; flags: qr aa rd; QUERY: 1, ..." (dig) or ";; Flags: qr aa rd; QUERY: 1; ..." (kdig)
  size_t colon = line.find(':');
  size_t semi = line.find(';', colon);
  std::istringstream in(line.substr(colon + 1, semi == std::string::npos ? std::string::npos : semi - colon - 1));
  for (std::string f; in >> f;) {
    if (f == "qr") m.qr = true;
    else if (f == "aa") m.aa = true;
    else if (f == "tc") m.tc = true;
    else if (f == "rd") m.rd = true;
    else if (f == "ra") m.ra = true;
  }
}

DigResult run(Tool tool, uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (tool == Tool::dig) argv = {"dig", "@127.0.0.1", "-p", std::to_string(port), "+time=2", "+tries=1"};
  else argv = {"kdig", "@127.0.0.1", "-p", std::to_string(port), "+timeout=2", "+retry=0"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult cr = run_command(argv, std::chrono::seconds(10));
  DigResult r = parse_dig_output(cr.out);
  for (const std::string& a : argv) r.command += (r.command.empty() ? "" : " ") + a;
  r.output = cr.out + cr.err;
  if (cr.timed_out) r.output += "\n(killed after 10 s)";
  return r;
}

}  // namespace

DigResult parse_dig_output(std::string_view text) {
  static const std::regex status_re(R"(status: ([A-Z0-9]+))");
  static const std::regex id_re(R"(id: (\d+))");
  static const std::regex opcode_re(R"(opcode: ([A-Z0-9]+))");
  static const std::regex dig_edns_re(R"(^; EDNS: version: (\d+),.*udp: (\d+))");
  static const std::regex kdig_edns_re(R"(^;; Version: (\d+);.*UDP size: (\d+) B)");
  static const std::regex dig_size_re(R"(^;; MSG SIZE\s+rcvd: (\d+))");
  static const std::regex kdig_size_re(R"(^;; Received (\d+) B)");

  DigResult r;
  Section section = Section::none;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (line.find("->>HEADER<<-") != std::string::npos) {
      // A new reply (dig prints several when it retries): start over.
      r = DigResult{};
      r.answered = true;
      r.rcode = group(line, status_re);
      r.opcode = group(line, opcode_re);
      std::string id = group(line, id_re);
      r.id = id.empty() ? 0 : static_cast<uint16_t>(std::stoul(id));
      section = Section::none;
      continue;
    }
    if (!r.answered) continue;
    std::smatch m;
    if (starts_with(line, ";; flags:") || starts_with(line, ";; Flags:")) {
      parse_flags(line, r);
    } else if (std::regex_search(line, m, dig_edns_re) || std::regex_search(line, m, kdig_edns_re)) {
      r.edns = true;
      r.edns_version = std::stoi(m[1].str());
      r.edns_udp_size = static_cast<uint16_t>(std::stoul(m[2].str()));
    } else if (std::regex_search(line, m, dig_size_re) || std::regex_search(line, m, kdig_size_re)) {
      r.size = std::stoul(m[1].str());
    } else if (line.find("QUESTION SECTION:") != std::string::npos) {
      section = Section::question;
    } else if (line.find("ANSWER SECTION:") != std::string::npos) {
      section = Section::answer;
    } else if (line.find("AUTHORITY SECTION:") != std::string::npos) {
      section = Section::authority;
    } else if (line.find("ADDITIONAL SECTION:") != std::string::npos) {
      section = Section::additional;
    } else if (trim(line).empty()) {
      section = Section::none;
    } else if (section == Section::question) {
      // ";web.service.consul.  IN  A" (dig) or ";; web.service.consul.  IN  A" (kdig)
      std::istringstream q(trim(line.substr(line.find_first_not_of("; \t"))));
      std::string klass;
      q >> r.qname >> klass >> r.qtype;
    } else if (section != Section::none && line[0] != ';') {
      auto rec = record_from_text(line);
      if (!rec) {
        r.unparsed.push_back(line);
        continue;
      }
      std::vector<Record>& into = section == Section::answer      ? r.answer
                                  : section == Section::authority ? r.authority
                                                                  : r.additional;
      into.push_back(std::move(*rec));
    }
  }
  return r;
}

DigResult dig(uint16_t port, const std::vector<std::string>& args) { return run(Tool::dig, port, args); }
DigResult kdig(uint16_t port, const std::vector<std::string>& args) { return run(Tool::kdig, port, args); }
DigResult query_with(Tool tool, uint16_t port, const std::vector<std::string>& args) { return run(tool, port, args); }

}  // namespace beacon::test
