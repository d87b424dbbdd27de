// beacon::api::Router: maps a method and a path to a route, with ":name" path parameters.
//
// Patterns are "/v1/catalog/service/:name". Segments match one by one; a parameter as the
// LAST segment takes the rest of the path, slashes included (service and check IDs may
// contain '/'), and may be empty so that the handler can answer "Missing service ID".
// match() tells an unknown path (404) from a known path with another method (405). Routes
// are added at start-up and never change; match() is const. No thread affinity.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/blocking.h"
#include "api/request.h"

namespace beacon::api {

// How a read behaves when the ACL hides everything from the caller (anonymous with
// default_policy "deny"): a list answers empty, a single object answers 403.
enum class ReadAcl {
  none,         // a write (the handler checks its own rights), or open to all (status)
  empty_array,  // answer "[]"
  empty_object, // answer "{}"
  forbidden,    // answer 403
};

struct Route {
  std::string method;
  std::string pattern;
  std::function<Response(const Request&)> handler;
  // For reads: the part of the catalog read, which gives X-Consul-Index and what a blocking
  // query waits on. Empty for writes and for reads without an index.
  std::function<Part(const Request&)> part;
  ReadAcl read_acl = ReadAcl::none;
  bool checks_datacenter = false;  // `?dc=` other than ours answers 500 "No path to datacenter"
};

class Router {
 public:
  void add(Route route);

  struct Match {
    const Route* route = nullptr;              // nullptr: no route
    bool path_known = false;                   // some route has this path (then 405)
    std::vector<std::string> allowed_methods;  // for the Allow header of a 405
    std::map<std::string, std::string> params;
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string> segments;  // ":name" for parameters
  };
  static std::optional<std::map<std::string, std::string>> match_path(const Compiled& c, std::string_view path);

  std::vector<Compiled> routes_;
};

}  // namespace beacon::api
