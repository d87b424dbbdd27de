// Request helpers (api/request.h): query parsing, flags, blocking parameters.
#include "api/request.h"

#include <algorithm>
#include <charconv>

#include "api/filter.h"
#include "base/duration.h"

namespace beacon::api {
namespace {

constexpr std::chrono::milliseconds kDefaultWait{5 * 60 * 1000};
constexpr std::chrono::milliseconds kMaxWait{10 * 60 * 1000};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Request::has(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

std::optional<std::string> Request::get(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

bool Request::flag(std::string_view name) const {
  auto value = get(name);
  if (!value) return false;
  return *value != "false" && *value != "0";
}

const std::string& Request::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

Response text_error(int status, std::string reason) {
  Response r;
  r.status = status;
  r.body = std::move(reason);
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

Response json_body(std::string json, int status) {
  Response r;
  r.status = status;
  r.body = std::move(json);
  return r;
}

std::expected<BlockingParams, std::string> parse_blocking(const Request& request) {
  BlockingParams out;
  if (auto index = request.get("index"); index && !index->empty()) {
    const char* end = index->data() + index->size();
    auto [ptr, ec] = std::from_chars(index->data(), end, out.index);
    if (ec != std::errc() || ptr != end) return std::unexpected("Invalid index: \"" + *index + "\"");
  }
  out.wait = kDefaultWait;
  if (auto wait = request.get("wait"); wait && !wait->empty()) {
    auto d = base::parse_duration(*wait);
    if (!d) return std::unexpected("Invalid wait time: " + d.error());
    out.wait = std::min(*d, kMaxWait);
  }
  if (auto text = request.get("filter"); text && !text->empty()) {
    if (auto parsed = filter::parse(*text); !parsed) return std::unexpected(parsed.error().describe());
  }
  return out;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = percent_decode(part.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1), true);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace beacon::api
