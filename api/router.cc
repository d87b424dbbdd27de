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
  // The routes with the most literal segments that match the path own it, as the longest
  // registered prefix does in Consul's mux: "/v1/agent/service/register" and
  // "/v1/agent/service/deregister/:id" are theirs even though "/v1/agent/service/:id" also
  // matches, so another method on them is 405, not a lookup of a service called "register".
  Match m;
  size_t best = 0;
  for (const Compiled& c : routes_) {
    auto params = match_path(c, path);
    if (!params) continue;
    size_t literal = 0;
    for (const std::string& seg : c.segments) literal += seg.empty() || seg[0] != ':';
    if (m.path_known && literal < best) continue;
    if (!m.path_known || literal > best) {
      m = Match{};
      m.path_known = true;
      best = literal;
    }
    if (c.route.method != method) {
      m.allowed_methods.push_back(c.route.method);
    } else if (m.route == nullptr) {
      m.route = &c.route;
      m.params = std::move(*params);
    }
  }
  if (m.route != nullptr) m.allowed_methods.clear();
  return m;
}

}  // namespace beacon::api
