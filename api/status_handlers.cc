// /v1/status/* handlers: this agent is the one server, and so the leader.
#include "api/handlers.h"

namespace beacon::api {
namespace {

std::string server_address(const config::Config& config) {
  const std::string& a = config.bind_addr;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":8300";
}

}  // namespace

void add_status_routes(Router& router, Env& env) {
  router.add(Route{"GET", "/v1/status/leader",
                   [&env](const Request& r) {
                     return json_body(encode_string(server_address(env.config()), r.has("pretty")));
                   },
                   {}, ReadAcl::none, true});
  router.add(Route{"GET", "/v1/status/peers",
                   [&env](const Request& r) {
                     return json_body(encode_strings({server_address(env.config())}, r.has("pretty")));
                   },
                   {}, ReadAcl::none, true});
}

}  // namespace beacon::api
