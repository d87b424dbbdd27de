// Talking to the agent's HTTP API with curl, as a user would.
//
// Runs `curl -s -S -i -X METHOD [--data-binary BODY] [-H HEADER]... URL` with a bounded
// time and splits the reply into status, headers (names lower-cased) and body.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace beacon::test {

struct HttpReply {
  bool ok = false;   // curl ran and printed a status line
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;   // curl's whole output, for failure messages
};

HttpReply curl(const std::string& method, uint16_t port, const std::string& path_and_query,
               const std::string& body = "", const std::vector<std::string>& headers = {},
               int max_seconds = 15);

}  // namespace beacon::test
