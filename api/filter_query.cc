// Read filters (api/filter_query.h).
#include "api/filter_query.h"

namespace beacon::api {

bool ReadFilter::node_matches(const catalog::Node* node) const {
  if (node_meta.empty()) return true;
  if (node == nullptr) return false;
  for (const auto& [key, value] : node_meta) {
    auto it = node->meta.find(key);
    if (it == node->meta.end() || it->second != value) return false;
  }
  return true;
}

bool ReadFilter::element_matches(std::string_view container_json, std::string_view member) const {
  return !expression || filter::matches_one(*expression, container_json, member);
}

std::vector<std::pair<std::string, std::string>> node_meta_query(const Request& request) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : request.all("node-meta")) {
    std::size_t colon = item.find(':');
    if (colon == std::string::npos) out.emplace_back(item, std::string());
    else out.emplace_back(item.substr(0, colon), item.substr(colon + 1));
  }
  return out;
}

std::expected<ReadFilter, std::string> read_filter(const Request& request) {
  ReadFilter out;
  out.node_meta = node_meta_query(request);
  if (auto text = request.get("filter"); text && !text->empty()) {
    auto parsed = filter::parse(*text);
    if (!parsed) return std::unexpected(parsed.error().describe());
    out.expression = std::move(*parsed);
  }
  return out;
}

}  // namespace beacon::api
