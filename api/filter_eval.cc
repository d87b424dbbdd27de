// Filter expressions (api/filter.h): evaluation against a response element's JSON.
//
// A selector walks objects by member name and arrays by index (`Checks.0.Status`). A
// segment that is not an index on an array applies the rest of the match to every item and
// is true when any item satisfies it (`Checks.Status == critical`: some check is critical),
// as go-bexpr does for slices of structures. A missing member answers as go-bexpr answers a
// missing map key: `==`, `in`, `matches`, `is not empty` are false, their negations true.
// A value compares as the JSON type at the selector: strings as text, numbers as numbers,
// booleans by Go's ParseBool. Where go-bexpr reports a type error (`==` on a list, `matches`
// on a number, a value that does not convert) the match is false, negated or not.
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/filter.h"
#include "base/json_bounds.h"

namespace beacon::api::filter {
namespace {

using nlohmann::json;

enum class Outcome { no, yes, type_error };

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

// Whether the scalar `item` equals the raw `value` converted to its type.
Outcome scalar_equal(const json& item, const std::string& value) {
  const char* b = value.data();
  const char* e = b + value.size();
  switch (item.type()) {
    case json::value_t::string: return item.get_ref<const std::string&>() == value ? Outcome::yes : Outcome::no;
    case json::value_t::boolean: {
      auto v = parse_bool(value);
      if (!v) return Outcome::type_error;
      return *v == item.get<bool>() ? Outcome::yes : Outcome::no;
    }
    case json::value_t::number_unsigned: {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return Outcome::type_error;
      return v == item.get<uint64_t>() ? Outcome::yes : Outcome::no;
    }
    case json::value_t::number_integer: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return Outcome::type_error;
      return v == item.get<int64_t>() ? Outcome::yes : Outcome::no;
    }
    case json::value_t::number_float: {
      double v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return Outcome::type_error;
      return v == item.get<double>() ? Outcome::yes : Outcome::no;
    }
    default: return Outcome::type_error;
  }
}

Outcome contains(const json& v, const std::string& value) {
  if (v.is_string()) {
    return v.get_ref<const std::string&>().find(value) != std::string::npos ? Outcome::yes : Outcome::no;
  }
  if (v.is_object()) return v.contains(value) ? Outcome::yes : Outcome::no;
  if (v.is_array()) {
    // Items of another type that the value does not convert to are skipped, as go-bexpr does.
    for (const json& item : v) {
      if (scalar_equal(item, value) == Outcome::yes) return Outcome::yes;
    }
    return Outcome::no;
  }
  return Outcome::type_error;
}

Outcome empty(const json& v) {
  if (v.is_null()) return Outcome::yes;
  // (nlohmann's empty() is false for every string: a string is not a container there.)
  if (v.is_string()) return v.get_ref<const std::string&>().empty() ? Outcome::yes : Outcome::no;
  if (v.is_array() || v.is_object()) return v.empty() ? Outcome::yes : Outcome::no;
  return Outcome::type_error;
}

// The operator on the value the selector reached.
bool apply(const Node& n, const json& v) {
  Outcome o = Outcome::type_error;
  switch (n.op) {
    case Op::equal: case Op::not_equal: o = scalar_equal(v, n.value); break;
    case Op::in: case Op::not_in: o = contains(v, n.value); break;
    case Op::is_empty: case Op::is_not_empty: o = empty(v); break;
    case Op::matches: case Op::not_matches:
      if (v.is_string() && n.regex) o = regex_search(*n.regex, v.get_ref<const std::string&>()) ? Outcome::yes : Outcome::no;
      break;
  }
  if (o == Outcome::type_error) return false;
  bool positive = n.op == Op::equal || n.op == Op::in || n.op == Op::is_empty || n.op == Op::matches;
  return (o == Outcome::yes) == positive;
}

// Missing data: what go-bexpr answers for a missing map key.
bool absent(Op op) { return op == Op::not_equal || op == Op::not_in || op == Op::is_empty || op == Op::not_matches; }

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Walks the selector from segment `i`. Recursion is one level per selector segment, and a
// selector is part of an expression of at most kMaxLength bytes.
bool walk(const Node& n, const json& v, std::size_t i) {
  if (i == n.selector.size()) return apply(n, v);
  const std::string& seg = n.selector[i];
  if (v.is_object()) {
    auto it = v.find(seg);
    return it == v.end() ? absent(n.op) : walk(n, *it, i + 1);
  }
  if (v.is_array()) {
    if (all_digits(seg)) {
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || index >= v.size()) return absent(n.op);
      return walk(n, v[index], i + 1);
    }
    for (const json& item : v) {
      if (walk(n, item, i)) return true;
    }
    return false;
  }
  return absent(n.op);
}

// Depth of recursion: one level per tree level, which the parser bounds by kMaxDepth.
bool evaluate(const Node& n, const json& element) {
  switch (n.kind) {
    case Node::Kind::match: return walk(n, element, 0);
    case Node::Kind::negate: return !evaluate(n.children.front(), element);
    case Node::Kind::all_of:
      for (const Node& c : n.children) {
        if (!evaluate(c, element)) return false;
      }
      return true;
    case Node::Kind::any_of:
      for (const Node& c : n.children) {
        if (evaluate(c, element)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

bool matches_one(const Expression& expression, std::string_view container_json, std::string_view member) {
  json doc = base::parse_bounded<json>(container_json);
  if (doc.is_discarded()) return false;
  const json* container = &doc;
  if (!member.empty()) {
    if (!doc.is_object()) return false;
    auto it = doc.find(member);
    if (it == doc.end()) return false;
    container = &*it;
  }
  if (!(container->is_array() || container->is_object()) || container->size() != 1) return false;
  return evaluate(expression.root(), *container->begin());
}

}  // namespace beacon::api::filter
