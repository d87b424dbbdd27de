// Reading and atomically replacing the TTL state file (health/ttl_state.h).
#include "health/ttl_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace beacon::health {

namespace {

constexpr std::string_view kMagic = "beacon-ttl-state 1";

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char n = s[++i];
    out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

// write(2) all of `data`, retrying short writes.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

TtlRecords load_ttl_state(const std::string& path) {
  TtlRecords records;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line != kMagic) return records;
  while (std::getline(in, line)) {
    auto fields = split_tabs(line);
    if (fields.size() != 4) continue;
    auto status = catalog::parse_health(fields[1]);
    int64_t deadline = 0;
    auto [end, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), deadline);
    if (!status || ec != std::errc() || end != fields[2].data() + fields[2].size()) continue;
    records[unescape(fields[0])] = TtlRecord{*status, unescape(fields[3]), deadline};
  }
  return records;
}

std::string save_ttl_state(const std::string& path, const TtlRecords& records) {
  std::string data(kMagic);
  data += '\n';
  for (const auto& [id, r] : records) {
    data += escape(id) + '\t' + catalog::health_name(r.status) + '\t' + std::to_string(r.deadline_ms) + '\t' +
            escape(r.output) + '\n';
  }
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
  bool ok = write_all(fd, data) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + std::strerror(saved);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + ": " + std::strerror(saved);
  }
  // The rename is durable once the folder is synced.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace beacon::health
