// A temporary directory for one test, removed with everything in it when the object dies.
// The one TempDir of every test executable (header-only, so unit tests need no support
// library). Set BEACON_TEST_KEEP_TMP=1 in the environment to keep the directories for a
// post-mortem. Not thread-safe; one object per test.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace beacon::test {

class TempDir {
 public:
  // Creates a fresh directory "beacon-test-XXXXXX" under the system temp directory. Throws
  // std::runtime_error when that is impossible.
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "beacon-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    const char* keep = std::getenv("BEACON_TEST_KEEP_TMP");
    if (keep && *keep && std::string(keep) != "0") return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The full path of `name` inside the directory.
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  // Writes `body` to `name` inside the directory and returns the full path.
  std::string write(std::string_view name, std::string_view body) const {
    std::ofstream(path_ / name, std::ios::binary) << body;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace beacon::test
