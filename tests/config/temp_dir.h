// Test helpers of the config tests: the shared TempDir and the fixture directory.
#pragma once

#include <string>
#include <string_view>

#include "tests/support/temp_dir.h"

namespace beacon::config::test {

using beacon::test::TempDir;  // the shared one (tests/support/temp_dir.h)

// The fixture directory tests/data/config/.
inline std::string fixture(std::string_view name) {
  return std::string(BEACON_CONFIG_TEST_DATA) + "/" + std::string(name);
}

}  // namespace beacon::config::test
