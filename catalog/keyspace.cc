// Key layout of the catalog keyspace (catalog/keyspace.h): building keys and parsing them back.
//
// Each node name and ID is one path segment. Only '%' and '/' are escaped ("%25", "%2F"), so
// keys stay readable; parse() accepts only that canonical escaping, which makes
// parse(node_key(x)) == x and keeps one key per object.
#include "catalog/keyspace.h"

#include <cassert>
#include <utility>

namespace beacon::catalog {
namespace {

constexpr std::string_view kNodes = "nodes/";
constexpr std::string_view kServices = "services/";
constexpr std::string_view kChecks = "checks/";
constexpr std::string_view kAlive = "alive/";

void append_escaped(std::string& out, std::string_view segment) {
  for (char c : segment) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
}

// Undoes append_escaped. nullopt for an empty segment, a '/' (segment boundary) or any '%'
// sequence other than "%25" and "%2F".
std::optional<std::string> unescape(std::string_view segment) {
  if (segment.empty()) return std::nullopt;
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '/') return std::nullopt;
    if (c != '%') {
      out += c;
      continue;
    }
    std::string_view code = segment.substr(i + 1, 2);
    if (code == "25") {
      out += '%';
    } else if (code == "2F") {
      out += '/';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

bool consume(std::string_view& s, std::string_view head) {
  if (!s.starts_with(head)) return false;
  s.remove_prefix(head.size());
  return true;
}

}  // namespace

Keyspace::Keyspace(std::string prefix, std::string datacenter)
    : prefix_(std::move(prefix)), dc_(std::move(datacenter)) {
  assert(prefix_.empty() || prefix_.back() == '/');
  assert(!dc_.empty());
}

std::string Keyspace::dc_prefix() const {
  std::string out = prefix_;
  append_escaped(out, dc_);
  out += '/';
  return out;
}

std::string Keyspace::node_key(std::string_view node) const {
  std::string out = dc_prefix();
  out += kNodes;
  append_escaped(out, node);
  return out;
}

std::string Keyspace::services_of_node_prefix(std::string_view node) const {
  std::string out = dc_prefix();
  out += kServices;
  append_escaped(out, node);
  out += '/';
  return out;
}

std::string Keyspace::service_key(std::string_view node, std::string_view service_id) const {
  std::string out = services_of_node_prefix(node);
  append_escaped(out, service_id);
  return out;
}

std::string Keyspace::checks_of_node_prefix(std::string_view node) const {
  std::string out = dc_prefix();
  out += kChecks;
  append_escaped(out, node);
  out += '/';
  return out;
}

std::string Keyspace::check_key(std::string_view node, std::string_view check_id) const {
  std::string out = checks_of_node_prefix(node);
  append_escaped(out, check_id);
  return out;
}

std::string Keyspace::alive_key(std::string_view node) const {
  std::string out = dc_prefix();
  out += kAlive;
  append_escaped(out, node);
  return out;
}

std::optional<Keyspace::Parsed> Keyspace::parse(std::string_view key) const {
  if (!consume(key, dc_prefix())) return std::nullopt;
  for (auto [segment, kind] : {std::pair{kNodes, Parsed::Kind::node}, std::pair{kAlive, Parsed::Kind::alive}}) {
    if (!consume(key, segment)) continue;
    auto node = unescape(key);
    if (!node) return std::nullopt;
    return Parsed{kind, std::move(*node), {}};
  }
  Parsed::Kind kind;
  if (consume(key, kServices)) {
    kind = Parsed::Kind::service;
  } else if (consume(key, kChecks)) {
    kind = Parsed::Kind::check;
  } else {
    return std::nullopt;
  }
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto node = unescape(key.substr(0, slash));
  auto id = unescape(key.substr(slash + 1));
  if (!node || !id) return std::nullopt;
  return Parsed{kind, std::move(*node), std::move(*id)};
}

}  // namespace beacon::catalog
