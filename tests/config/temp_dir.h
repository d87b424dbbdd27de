// Test helper: a fresh directory under the system temp dir, removed with its contents when
// the object dies, plus small helpers to write files into it.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace beacon::config::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("beacon_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `body` to `name` inside the directory and returns the full path.
  std::string write(std::string_view name, std::string_view body) const {
    auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << body;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// The fixture directory tests/data/config/.
inline std::string fixture(std::string_view name) {
  return std::string(BEACON_CONFIG_TEST_DATA) + "/" + std::string(name);
}

}  // namespace beacon::config::test
