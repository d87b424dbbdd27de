// Consul's meta pair rules.
#include "base/meta.h"

namespace beacon::base {

std::expected<void, std::string> check_meta_pair(std::string_view key, std::string_view value) {
  if (key.empty()) return std::unexpected(std::string("meta key must not be empty"));
  if (key.size() > kMaxMetaKeyLength) {
    return std::unexpected("meta key is longer than " + std::to_string(kMaxMetaKeyLength) +
                           " characters");
  }
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) {
      return std::unexpected(std::string("meta key may only hold letters, digits, '-' and '_'"));
    }
  }
  if (key.starts_with("consul-")) {
    return std::unexpected(std::string("meta key prefix \"consul-\" is reserved"));
  }
  if (value.size() > kMaxMetaValueLength) {
    return std::unexpected("meta value is longer than " + std::to_string(kMaxMetaValueLength) +
                           " characters");
  }
  return {};
}

}  // namespace beacon::base
