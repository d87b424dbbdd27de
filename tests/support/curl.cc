#include "tests/support/curl.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/support/subprocess.h"

namespace beacon::test {

HttpReply curl(const std::string& method, uint16_t port, const std::string& path_and_query, const std::string& body,
               const std::vector<std::string>& headers, int max_seconds) {
  std::vector<std::string> argv{"curl", "-s", "-S", "-i", "--max-time", std::to_string(max_seconds), "-X", method};
  std::filesystem::path body_file;
  if (body.size() > 64 * 1024) {  // too long for one argv string: hand it over in a file
    body_file = std::filesystem::temp_directory_path() / ("beacon-curl-" + std::to_string(::getpid()) + ".body");
    std::ofstream(body_file, std::ios::binary) << body;
    argv.push_back("--data-binary");
    argv.push_back("@" + body_file.string());
  } else if (!body.empty() || method == "PUT" || method == "POST") {
    argv.push_back("--data-binary");
    argv.push_back(body);
  }
  for (const std::string& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + path_and_query);
  CommandResult r = run_command(argv, std::chrono::seconds(max_seconds + 5));
  if (!body_file.empty()) std::filesystem::remove(body_file);
  HttpReply reply;
  reply.raw = r.out + r.err;
  const std::string& out = r.out;
  size_t line_end = out.find("\r\n");
  if (out.rfind("HTTP/", 0) != 0 || line_end == std::string::npos) return reply;
  size_t sp = out.find(' ');
  reply.status = std::atoi(out.c_str() + sp + 1);
  size_t pos = line_end + 2;
  while (pos < out.size()) {
    size_t end = out.find("\r\n", pos);
    if (end == std::string::npos) break;
    if (end == pos) {
      pos += 2;
      break;
    }
    std::string line = out.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      reply.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = end + 2;
  }
  reply.body = pos <= out.size() ? out.substr(pos) : "";
  reply.ok = true;
  return reply;
}

}  // namespace beacon::test
