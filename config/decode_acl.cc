// decode_acl: the `[acl]` table and its `[[acl.tokens]]`.
//
// `enabled` and `default_policy` override like other scalars; tokens from every file
// accumulate. A token secret is never part of an error message (only its position).
#include "config/decode.h"

namespace beacon::config::detail {
namespace {

using Result = std::expected<void, Error>;

std::expected<std::string, std::string> one_of(const std::string& text, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (text == a) return text;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return std::unexpected("\"" + text + "\" is not one of " + list);
}

Result decode_token(const Fields& f, const toml::table& table, const std::string& path, AclToken& token,
                    const toml::node& at) {
  auto policy = [&](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    auto ok = one_of(*text, {"management", "read", "write"});
    if (!ok) return std::unexpected(f.error(n, key, ok.error()));
    token.policy = *ok;
    return {};
  };
  auto secret = [&](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    if (text->size() < 8) return std::unexpected(f.error(n, key, "must be at least 8 characters"));
    token.secret = std::move(*text);
    return {};
  };
  auto r = f.walk(table, path,
                  {{"secret", secret},
                   {"description", f.into(token.description)},
                   {"policy", policy},
                   {"service_prefixes", f.into(token.service_prefixes)}});
  if (!r) return r;
  if (token.secret.empty()) return std::unexpected(f.error(at, path + ".secret", "is required"));
  if (token.policy == "write" && token.service_prefixes.empty())
    return std::unexpected(f.error(at, path + ".service_prefixes",
                                   "is required for a write token ([\"\"] means every service)"));
  if (token.policy != "write" && !token.service_prefixes.empty())
    return std::unexpected(f.error(at, path + ".service_prefixes", "applies only to write tokens"));
  return {};
}

}  // namespace

std::expected<void, Error> decode_acl(const Fields& f, const toml::node& node, const std::string& path,
                                      AclConfig& acl) {
  auto table = f.table(node, path);
  if (!table) return std::unexpected(table.error());
  auto policy = [&](const toml::node& n, const std::string& key) -> Result {
    auto text = f.string(n, key);
    if (!text) return std::unexpected(text.error());
    auto ok = one_of(*text, {"allow", "deny"});
    if (!ok) return std::unexpected(f.error(n, key, ok.error()));
    acl.default_policy = *ok;
    return {};
  };
  auto tokens = [&](const toml::node& n, const std::string& key) -> Result {
    return f.tables(n, key, [&](const toml::table& t, const toml::node& entry, const std::string& entry_path) -> Result {
      AclToken token;
      if (auto r = decode_token(f, t, entry_path, token, entry); !r) return r;
      for (const AclToken& other : acl.tokens)
        if (other.secret == token.secret)
          return std::unexpected(f.error(entry, entry_path + ".secret", "is the same as another token's"));
      acl.tokens.push_back(std::move(token));
      return {};
    });
  };
  return f.walk(**table, path, {{"enabled", f.into(acl.enabled)}, {"default_policy", policy}, {"tokens", tokens}});
}

}  // namespace beacon::config::detail
