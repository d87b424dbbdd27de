// A temporary directory for one test, removed with everything in it when the object dies.
//
// Set BEACON_TEST_KEEP_TMP=1 in the environment to keep the directories for a post-mortem.
// Not thread-safe; one object per test.
#pragma once

#include <filesystem>

namespace beacon::test {

class TempDir {
 public:
  // Creates a fresh directory "beacon-it-XXXXXX" under the system temp directory.
  // Aborts the test binary (std::runtime_error) when that is impossible.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace beacon::test
