// beacon::api ACL: which token may do what on the HTTP API.
//
// Tokens come from `[acl]` in the config (config::AclConfig). A token has one policy:
//   management  reads and writes everything;
//   read        reads everything, writes nothing;
//   write       reads everything, and writes the services whose name starts with one of its
//               service_prefixes ("" matches every name); node-level writes (agent and node
//               maintenance, catalog register/deregister of nodes, node checks) need the ""
//               prefix.
// A request without a token, or with a secret no token has, is anonymous and gets
// default_policy: "allow" (everything) or "deny" (no writes, reads filtered to nothing).
// With acl.enabled = false every request may do everything. Pure values; no thread affinity.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace beacon::api {

// What one request may do, resolved once from its token.
class Identity {
 public:
  enum class Policy { allow_all, deny_all, management, read, write };

  Identity() = default;
  Identity(Policy policy, std::string description, std::vector<std::string> prefixes = {})
      : policy_(policy), description_(std::move(description)), prefixes_(std::move(prefixes)) {}

  bool can_read() const { return policy_ != Policy::deny_all; }
  // Register, deregister, maintain or update checks of the service named `service_name`.
  bool can_write_service(const std::string& service_name) const;
  // Node-level writes.
  bool can_write_node() const;

  Policy policy() const { return policy_; }
  // For logs: the token's description, "anonymous" or "acl disabled". Never the secret.
  const std::string& description() const { return description_; }

 private:
  Policy policy_ = Policy::allow_all;
  std::string description_ = "acl disabled";
  std::vector<std::string> prefixes_;
};

// Resolves a request's token against `acl`. An empty or unknown secret gives the anonymous
// identity of acl.default_policy ("deny" denies; anything else allows).
Identity resolve_identity(const config::AclConfig& acl, const std::string& secret);

}  // namespace beacon::api
