// beacon::api::filter: Consul's `?filter=` expression language (go-bexpr's grammar).
//
// parse() turns an expression such as
//   Service.Tags contains "prod" and not (Node.Meta["rack"] == r2 or ServicePort != 80)
// into a tree; matches_one() evaluates the tree against one element of a response body, the
// JSON object an endpoint already produces, so the selectors are the response's field names
// (case-sensitive, as in Consul). The language: selectors (`A.B`, `A.0`, `A["key"]`),
// `==`, `!=`, `in`, `not in`, `contains`, `not contains`, `matches`, `not matches` (POSIX
// extended regular expressions), `is empty`, `is not empty`, `and`, `or`, `not`,
// parentheses, and values quoted ("..." with Go escapes, `...` raw), numbers or bare words.
//
// Hostile input is bounded: an expression is at most kMaxLength bytes, parentheses and
// `not` nest at most kMaxDepth levels (parsing and evaluation recurse no deeper than that),
// and a regular expression is at most kMaxPattern bytes with limited counted repetition; it
// runs on glibc's POSIX matcher, which does not backtrack. Errors carry the byte offset of
// the problem. An Expression is immutable once parsed: const use from any thread is safe.
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::api::filter {

inline constexpr std::size_t kMaxLength = 4096;  // bytes of one expression
inline constexpr int kMaxDepth = 64;             // nested parentheses and `not`s
inline constexpr std::size_t kMaxPattern = 256;  // bytes of one regular expression
inline constexpr long kMaxRepeat = 256;          // product of a pattern's {m,n} counts

enum class Op { equal, not_equal, in, not_in, is_empty, is_not_empty, matches, not_matches };

class Regex;  // a compiled pattern (filter.cc)

struct Node {
  enum class Kind { match, all_of, any_of, negate };
  Kind kind = Kind::match;
  std::vector<Node> children;  // all_of/any_of: two or more; negate: one
  // Kind::match only:
  std::vector<std::string> selector;  // path segments: Service.Meta["a b"] is {Service, Meta, a b}
  Op op = Op::equal;
  std::string value;                    // the raw value (unquoted); empty for is (not) empty
  std::shared_ptr<const Regex> regex;   // for matches / not matches
};

struct Error {
  std::size_t offset = 0;  // byte offset in the expression
  std::size_t line = 1, column = 1;
  std::string message;
  // Consul's shape: "Failed to create boolean expression evaluator: 1:8 (7): message".
  std::string describe() const;
};

class Expression {
 public:
  explicit Expression(Node root) : root_(std::move(root)) {}
  const Node& root() const { return root_; }

 private:
  Node root_;
};

std::expected<Expression, Error> parse(std::string_view text);

// Whether the one element of `container_json` matches: the only item of a JSON array or the
// only member's value of a JSON object (a body encoded for a single result). With `member`,
// the container is that member of the top-level object ("Services" of /v1/catalog/node).
// False for text that is not such a container.
bool matches_one(const Expression& expression, std::string_view container_json, std::string_view member = {});

// Compiles a `matches` pattern within the bounds above; the error is the reason. Go's
// `\d` and `\D` are accepted outside brackets; back-references are refused.
std::expected<std::shared_ptr<const Regex>, std::string> compile_regex(std::string_view pattern);
// True when `regex` matches somewhere in `subject` (unanchored, as Go's MatchString).
bool regex_search(const Regex& regex, std::string_view subject);

}  // namespace beacon::api::filter
