// beacon::api read filters: the `?filter=` and `?node-meta=` parameters of the read
// endpoints, as the handlers apply them.
//
// read_filter() parses both once per request; a handler then keeps an element when its node
// carries every wanted `node-meta` pair and its JSON (the element encoded alone, as the
// endpoint encodes it) satisfies the expression. Value type; const use from any thread.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/filter.h"
#include "api/request.h"
#include "catalog/model.h"

namespace beacon::api {

struct ReadFilter {
  std::optional<filter::Expression> expression;                  // nullopt: `?filter=` absent or empty
  std::vector<std::pair<std::string, std::string>> node_meta;  // every `?node-meta=key:value`

  bool has_expression() const { return expression.has_value(); }
  // True when `node` carries every wanted pair (always true when none is wanted; false for a
  // node without a record when one is).
  bool node_matches(const catalog::Node* node) const;
  // True when there is no expression, or when the one element of `container_json` matches
  // it (filter::matches_one).
  bool element_matches(std::string_view container_json, std::string_view member = {}) const;
};

// `?filter=` and `?node-meta=` of `request`. The error is the 400 reason: a bad expression
// ("Failed to create boolean expression evaluator: 1:8 (7): ...").
std::expected<ReadFilter, std::string> read_filter(const Request& request);

// `?node-meta=key:value` pairs, in order; a value without ':' wants the key with an empty
// value, as Consul reads it.
std::vector<std::pair<std::string, std::string>> node_meta_query(const Request& request);

}  // namespace beacon::api
