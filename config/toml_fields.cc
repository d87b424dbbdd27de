// Typed reads from toml++ nodes with "FILE:LINE:COL: KEY: reason" errors.
#include "config/toml_fields.h"

#include <algorithm>
#include <cmath>

#include "base/duration.h"

namespace beacon::config::detail {
namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

Error wrong_type(const Fields& fields, const toml::node& n, const std::string& key,
                 std::string_view expected) {
  return fields.error(
      n, key, "expected " + std::string(expected) + ", got " + std::string(type_name(n.type())));
}

}  // namespace

Error error_at(const Origin& at, std::string_view key, std::string_view reason) {
  std::string message = describe(at);
  message += ": ";
  if (!key.empty()) {
    message += key;
    message += ": ";
  }
  message += reason;
  return Error{std::move(message)};
}

std::string describe(const Origin& at) {
  std::string out = at.file;
  if (at.line != 0) {
    out += ":" + std::to_string(at.line);
    if (at.column != 0) out += ":" + std::to_string(at.column);
  }
  return out;
}

Origin Fields::origin(const toml::source_region& where) const {
  return Origin{file_, where.begin.line, where.begin.column};
}

std::expected<std::string, Error> Fields::string(const toml::node& n,
                                                 const std::string& key) const {
  const auto* value = n.as_string();
  if (value == nullptr) return std::unexpected(wrong_type(*this, n, key, "a string"));
  return value->get();
}

std::expected<bool, Error> Fields::boolean(const toml::node& n, const std::string& key) const {
  const auto* value = n.as_boolean();
  if (value == nullptr) return std::unexpected(wrong_type(*this, n, key, "a boolean"));
  return value->get();
}

std::expected<int64_t, Error> Fields::integer(const toml::node& n, const std::string& key,
                                              int64_t min, int64_t max) const {
  const auto* value = n.as_integer();
  if (value == nullptr) return std::unexpected(wrong_type(*this, n, key, "an integer"));
  int64_t v = value->get();
  if (v < min || v > max) {
    return std::unexpected(error(n, key,
                                 "must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + ", got " + std::to_string(v)));
  }
  return v;
}

std::expected<double, Error> Fields::fraction(const toml::node& n, const std::string& key) const {
  double v = 0;
  if (const auto* f = n.as_floating_point()) {
    v = f->get();
  } else if (const auto* i = n.as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    return std::unexpected(wrong_type(*this, n, key, "a number"));
  }
  if (!(v >= 0.0 && v <= 1.0)) {  // also rejects NaN
    return std::unexpected(error(n, key, "must be between 0 and 1"));
  }
  return v;
}

std::expected<Duration, Error> Fields::duration(const toml::node& n, const std::string& key) const {
  const auto* value = n.as_string();
  if (value == nullptr) {
    return std::unexpected(wrong_type(*this, n, key, "a duration string such as \"10s\""));
  }
  auto parsed = base::parse_duration(value->get());
  if (!parsed) return std::unexpected(error(n, key, parsed.error()));
  return *parsed;
}

std::expected<std::vector<std::string>, Error> Fields::strings(const toml::node& n,
                                                               const std::string& key) const {
  const auto* arr = n.as_array();
  if (arr == nullptr) return std::unexpected(wrong_type(*this, n, key, "an array of strings"));
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto item = string((*arr)[i], indexed(key, i));
    if (!item) return std::unexpected(item.error());
    out.push_back(std::move(*item));
  }
  return out;
}

std::expected<const toml::table*, Error> Fields::table(const toml::node& n,
                                                       const std::string& key) const {
  const auto* value = n.as_table();
  if (value == nullptr) return std::unexpected(wrong_type(*this, n, key, "a table"));
  return value;
}

std::expected<const toml::array*, Error> Fields::array(const toml::node& n,
                                                       const std::string& key) const {
  const auto* value = n.as_array();
  if (value == nullptr) return std::unexpected(wrong_type(*this, n, key, "an array"));
  return value;
}

std::expected<void, Error> Fields::tables(const toml::node& n, const std::string& key, const TableFn& each) const {
  auto list = array(n, key);
  if (!list) return std::unexpected(list.error());
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const toml::node& item = *(*list)->get(i);
    std::string item_path = indexed(key, i);
    auto t = table(item, item_path);
    if (!t) return std::unexpected(t.error());
    if (auto ok = each(**t, item, item_path); !ok) return ok;
  }
  return {};
}

Fields::Result Fields::walk(
    const toml::table& table, const std::string& prefix,
    std::initializer_list<std::pair<std::string_view, Handler>> handlers) const {
  for (const auto& [key, node] : in_file_order(table)) {
    std::string path =
        prefix.empty() ? std::string(key->str()) : prefix + "." + std::string(key->str());
    auto found = std::find_if(handlers.begin(), handlers.end(),
                              [&](const auto& h) { return h.first == key->str(); });
    if (found == handlers.end()) {
      return std::unexpected(error_at(origin(key->source()), path, "unknown key"));
    }
    if (auto done = found->second(*node, path); !done) return done;
  }
  return {};
}

Fields::Handler Fields::into(std::string& out) const {
  return [this, &out](const toml::node& n, const std::string& key) -> Result {
    auto value = string(n, key);
    if (!value) return std::unexpected(value.error());
    out = std::move(*value);
    return {};
  };
}

Fields::Handler Fields::into(bool& out) const {
  return [this, &out](const toml::node& n, const std::string& key) -> Result {
    auto value = boolean(n, key);
    if (!value) return std::unexpected(value.error());
    out = *value;
    return {};
  };
}

Fields::Handler Fields::into(Duration& out) const {
  return [this, &out](const toml::node& n, const std::string& key) -> Result {
    auto value = duration(n, key);
    if (!value) return std::unexpected(value.error());
    out = *value;
    return {};
  };
}

Fields::Handler Fields::into(std::vector<std::string>& out) const {
  return [this, &out](const toml::node& n, const std::string& key) -> Result {
    auto value = strings(n, key);
    if (!value) return std::unexpected(value.error());
    out = std::move(*value);
    return {};
  };
}

std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  entries.reserve(table.size());
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

std::string indexed(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

}  // namespace beacon::config::detail
