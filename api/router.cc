// Router (api/router.h): linear matching over a few dozen routes.
#include "api/router.h"

namespace beacon::api {
namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::add(Route route) {
  Compiled c;
  c.segments = split(route.pattern);
  c.route = std::move(route);
  routes_.push_back(std::move(c));
}

std::optional<std::map<std::string, std::string>> Router::match_path(const Compiled& c, std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < c.segments.size(); ++i) {
    const std::string& seg = c.segments[i];
    bool last = i + 1 == c.segments.size();
    if (!seg.empty() && seg[0] == ':') {
      if (last) {
        params[seg.substr(1)] = std::string(path);
        return params;
      }
      size_t slash = path.find('/');
      if (slash == std::string_view::npos || slash == 0) return std::nullopt;
      params[seg.substr(1)] = std::string(path.substr(0, slash));
      path.remove_prefix(slash + 1);
      continue;
    }
    if (last) {
      if (path != seg) return std::nullopt;
      return params;
    }
    if (!path.starts_with(seg) || path.size() <= seg.size() || path[seg.size()] != '/') return std::nullopt;
    path.remove_prefix(seg.size() + 1);
  }
  return std::nullopt;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  for (const Compiled& c : routes_) {
    auto params = match_path(c, path);
    if (!params) continue;
    m.path_known = true;
    if (c.route.method != method) {
      m.allowed_methods.push_back(c.route.method);
      continue;
    }
    m.route = &c.route;
    m.params = std::move(*params);
    return m;
  }
  return m;
}

}  // namespace beacon::api
