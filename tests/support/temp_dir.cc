#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace beacon::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "beacon-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  const char* keep = std::getenv("BEACON_TEST_KEEP_TMP");
  if (keep && *keep && std::string(keep) != "0") return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace beacon::test
