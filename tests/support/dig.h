// Querying a server with the real `dig` (BIND) or `kdig` (Knot) and decoding their output.
//
// Both tools run without a shell, against 127.0.0.1, with one try and a 2 s timeout
// (`+time=2 +tries=1` / `+timeout=2 +retry=0`), and are killed if they take more than 10 s.
// Their text output is parsed into a Message: dig's "status: X, id: N" and ";; flags: qr aa;"
// as well as kdig's "status: X; id: N" and ";; Flags: qr aa;", and each section's records
// through ldns. Note: dig retries over TCP after a truncated UDP reply unless "+ignore" is
// given; so does kdig. Not thread-safe (see subprocess.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/dns_message.h"

namespace beacon::test {

enum class Tool { dig, kdig };

struct DigResult : Message {
  bool answered = false;  // a reply was printed (false on timeout or when the tool failed)
  std::string command;    // the command line, for failure messages
  std::string output;     // the tool's stdout and stderr
  std::vector<std::string> unparsed;  // record lines ldns could not parse (none expected)
};

// Runs `dig @127.0.0.1 -p PORT +time=2 +tries=1 args...`.
DigResult dig(uint16_t port, const std::vector<std::string>& args);
// Runs `kdig @127.0.0.1 -p PORT +timeout=2 +retry=0 args...`.
DigResult kdig(uint16_t port, const std::vector<std::string>& args);
DigResult query_with(Tool tool, uint16_t port, const std::vector<std::string>& args);

// Parses dig or kdig output (the last reply in it when there are several). `answered` is
// false when no header line was found.
DigResult parse_dig_output(std::string_view text);

}  // namespace beacon::test
