// ACL (api/acl.h): token lookup and the three policies.
#include "api/acl.h"

namespace beacon::api {

bool Identity::can_write_service(const std::string& service_name) const {
  switch (policy_) {
    case Policy::allow_all:
    case Policy::management: return true;
    case Policy::deny_all:
    case Policy::read: return false;
    case Policy::write:
      for (const std::string& prefix : prefixes_) {
        if (service_name.starts_with(prefix)) return true;
      }
      return false;
  }
  return false;
}

bool Identity::can_write_node() const {
  if (policy_ == Policy::write) {
    for (const std::string& prefix : prefixes_) {
      if (prefix.empty()) return true;
    }
    return false;
  }
  return policy_ == Policy::allow_all || policy_ == Policy::management;
}

namespace {

// Compares secrets without an early exit, so response time does not reveal a prefix.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Identity resolve_identity(const config::AclConfig& acl, const std::string& secret) {
  if (!acl.enabled) return Identity();
  if (!secret.empty()) {
    for (const config::AclToken& token : acl.tokens) {
      if (token.secret.empty() || !same_secret(token.secret, secret)) continue;
      std::string description = token.description.empty() ? "token (no description)" : "token " + token.description;
      if (token.policy == "management") return Identity(Identity::Policy::management, description);
      if (token.policy == "write") return Identity(Identity::Policy::write, description, token.service_prefixes);
      return Identity(Identity::Policy::read, description);
    }
  }
  if (acl.default_policy == "deny") return Identity(Identity::Policy::deny_all, "anonymous");
  return Identity(Identity::Policy::allow_all, "anonymous");
}

}  // namespace beacon::api
