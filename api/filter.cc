// Filter expressions (api/filter.h): the parser, a recursive descent over the text.
//
// Grammar (go-bexpr's, with `not(` accepted without a space):
//   input    := or EOF
//   or       := and ("or" and)*
//   and      := not ("and" not)*
//   not      := "not" not | primary                    (depth + 1)
//   primary  := "(" or ")" | match                     (depth + 1 for the parentheses)
//   match    := selector ("==" | "!=") value
//             | selector ["not"] ("contains" | "matches") value
//             | selector "is" ["not"] "empty"
//             | value ["not"] "in" selector
//   selector := ident ("." ident | "." digits | "[" string "]")*
//   value    := selector (its text) | number | string
// Keywords are whole words; `and`/`or` chains become one n-ary node, so the tree is never
// deeper than the parentheses and `not`s that the depth bound counts.
#include "api/filter.h"

#include <cctype>
#include <optional>

namespace beacon::api::filter {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '/'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

struct Failure {
  std::size_t at;
  std::string message;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  std::expected<Node, Failure> run() {
    skip_ws();
    auto root = parse_or(0);
    if (!root) return root;
    skip_ws();
    if (pos_ != s_.size()) return fail("expected \"and\", \"or\" or the end of the expression");
    return root;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;

  std::unexpected<Failure> fail(std::string message) const { return std::unexpected(Failure{pos_, std::move(message)}); }
  std::unexpected<Failure> fail_at(std::size_t at, std::string message) const {
    return std::unexpected(Failure{at, std::move(message)});
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool skip_ws() {
    std::size_t start = pos_;
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) ++pos_;
    return pos_ > start;
  }
  // The keyword `word` at the cursor as a whole word (not the start of an identifier).
  bool word_at(std::size_t at, std::string_view word) const {
    return s_.substr(at, word.size()) == word && (at + word.size() >= s_.size() || !ident_char(s_[at + word.size()]));
  }
  // Consumes whitespace, then `word`; restores the cursor when `word` is not there.
  bool keyword(std::string_view word) {
    std::size_t save = pos_;
    skip_ws();
    if (word_at(pos_, word)) {
      pos_ += word.size();
      return true;
    }
    pos_ = save;
    return false;
  }

  std::expected<Node, Failure> parse_or(int depth) {
    return parse_chain(depth, "or", Node::Kind::any_of, [this](int d) { return parse_and(d); });
  }
  std::expected<Node, Failure> parse_and(int depth) {
    return parse_chain(depth, "and", Node::Kind::all_of, [this](int d) { return parse_not(d); });
  }

  template <typename Next>
  std::expected<Node, Failure> parse_chain(int depth, std::string_view word, Node::Kind kind, Next next) {
    auto first = next(depth);
    if (!first) return first;
    Node chain;
    chain.kind = kind;
    chain.children.push_back(std::move(*first));
    for (;;) {
      std::size_t save = pos_;
      if (!skip_ws() || !word_at(pos_, word)) {
        pos_ = save;
        break;
      }
      pos_ += word.size();
      if (!skip_ws() && peek() != '(') return fail("expected whitespace after \"" + std::string(word) + "\"");
      auto more = next(depth);
      if (!more) return more;
      chain.children.push_back(std::move(*more));
    }
    if (chain.children.size() == 1) return std::move(chain.children.front());
    return chain;
  }

  std::expected<Node, Failure> parse_not(int depth) {
    if (word_at(pos_, "not")) {
      std::size_t save = pos_;
      pos_ += 3;
      bool spaced = skip_ws();
      // `not in` and `not contains` belong to a match; a bare `not` starts a negation.
      if ((spaced || peek() == '(') && !word_at(pos_, "in")) {
        if (depth + 1 > kMaxDepth) return fail_at(save, "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
        auto inner = parse_not(depth + 1);
        if (!inner) return inner;
        Node n;
        n.kind = Node::Kind::negate;
        n.children.push_back(std::move(*inner));
        return n;
      }
      pos_ = save;
    }
    return parse_primary(depth);
  }

  std::expected<Node, Failure> parse_primary(int depth) {
    if (peek() != '(') return parse_match();
    if (depth + 1 > kMaxDepth) return fail("expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
    std::size_t open = pos_++;
    skip_ws();
    auto inner = parse_or(depth + 1);
    if (!inner) return inner;
    skip_ws();
    if (peek() != ')') return at_end() ? fail_at(open, "unmatched parenthesis") : fail("expected \")\", \"and\" or \"or\"");
    ++pos_;
    return inner;
  }

  // A selector at the cursor: its segments and its text.
  std::expected<std::pair<std::vector<std::string>, std::string>, Failure> parse_selector() {
    std::size_t start = pos_;
    if (!ident_start(peek())) return fail("expected a selector");
    std::vector<std::string> path;
    auto ident = [&] {
      std::size_t b = pos_;
      while (!at_end() && ident_char(peek())) ++pos_;
      return std::string(s_.substr(b, pos_ - b));
    };
    path.push_back(ident());
    for (;;) {
      if (peek() == '.' && ident_start(peek(1))) {
        ++pos_;
        path.push_back(ident());
      } else if (peek() == '.' && digit(peek(1))) {
        std::size_t b = ++pos_;
        while (digit(peek())) ++pos_;
        path.emplace_back(s_.substr(b, pos_ - b));
      } else if (peek() == '[') {
        ++pos_;
        skip_ws();
        if (peek() != '"' && peek() != '`') return fail("invalid index: expected a quoted string");
        auto key = parse_string();
        if (!key) return std::unexpected(key.error());
        skip_ws();
        if (peek() != ']') return fail("unclosed index expression");
        ++pos_;
        path.push_back(std::move(*key));
      } else {
        break;
      }
    }
    return std::pair{std::move(path), std::string(s_.substr(start, pos_ - start))};
  }

  std::expected<std::string, Failure> parse_string() {
    std::size_t open = pos_;
    char quote = s_[pos_++];
    std::string out;
    while (!at_end() && peek() != quote) {
      char c = s_[pos_++];
      if (c != '\\' || quote == '`') {
        out += c;
        continue;
      }
      if (at_end()) break;
      std::size_t esc = pos_ - 1;
      char e = s_[pos_++];
      switch (e) {
        case '\\': out += '\\'; break;
        case '"': out += '"'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'x': case 'u': case 'U': {
          std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          unsigned long cp = 0;
          for (std::size_t i = 0; i < n; ++i, ++pos_) {
            char h = peek();
            if (!std::isxdigit(static_cast<unsigned char>(h))) return fail_at(esc, "invalid escape in string literal");
            cp = cp * 16 + static_cast<unsigned long>(digit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (e == 'x') out += static_cast<char>(cp);
          else if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return fail_at(esc, "invalid escape in string literal");
          else append_utf8(out, cp);
          break;
        }
        default: return fail_at(esc, "invalid escape in string literal");
      }
    }
    if (at_end()) return fail_at(open, "unterminated string literal");
    ++pos_;
    return out;
  }

  // A value: a string, a number or a bare selector (its text).
  std::expected<std::string, Failure> parse_value() {
    char c = peek();
    if (c == '"' || c == '`') return parse_string();
    if (c == '-' || digit(c)) {
      std::size_t b = pos_;
      if (c == '-') ++pos_;
      if (!digit(peek())) return fail_at(b, "invalid number literal");
      if (peek() == '0') ++pos_;
      else while (digit(peek())) ++pos_;
      if (peek() == '.' && digit(peek(1))) {
        ++pos_;
        while (digit(peek())) ++pos_;
      }
      if (!at_end() && peek() != ' ' && peek() != '\t' && peek() != '\r' && peek() != '\n' && peek() != ')')
        return fail_at(b, "invalid number literal");
      return std::string(s_.substr(b, pos_ - b));
    }
    if (ident_start(c)) {
      auto sel = parse_selector();
      if (!sel) return std::unexpected(sel.error());
      return std::move(sel->second);
    }
    return fail(at_end() ? "expected a value, found the end of the expression" : "expected a value");
  }

  std::expected<Node, Failure> parse_match() {
    Node n;
    char c = peek();
    bool value_first = c == '"' || c == '`' || c == '-' || digit(c);
    std::optional<std::pair<std::vector<std::string>, std::string>> selector;
    std::string first_value;
    if (value_first) {
      auto v = parse_value();
      if (!v) return std::unexpected(v.error());
      first_value = std::move(*v);
    } else {
      if (!ident_start(c)) return fail(at_end() ? "expected a selector, found the end of the expression" : "expected a selector");
      auto sel = parse_selector();
      if (!sel) return std::unexpected(sel.error());
      selector = std::move(*sel);
    }
    // `value [not] in selector`, the value being a bare word when it parsed as a selector.
    std::size_t after_first = pos_;
    bool negated = keyword("not");
    if (keyword("in")) {
      if (!skip_ws()) return fail("expected whitespace after \"in\"");
      n.value = value_first ? std::move(first_value) : selector->second;
      auto sel = parse_selector();
      if (!sel) return std::unexpected(sel.error());
      n.selector = std::move(sel->first);
      n.op = negated ? Op::not_in : Op::in;
      return n;
    }
    if (value_first) {
      pos_ = after_first;
      skip_ws();
      return fail("expected \"in\" or \"not in\" after a value");
    }
    n.selector = std::move(selector->first);
    if (!negated) {
      skip_ws();
      if (s_.substr(pos_, 2) == "==" || s_.substr(pos_, 2) == "!=") {
        n.op = s_[pos_] == '=' ? Op::equal : Op::not_equal;
        pos_ += 2;
        skip_ws();
        auto v = parse_value();
        if (!v) return std::unexpected(v.error());
        n.value = std::move(*v);
        return n;
      }
      pos_ = after_first;
      if (keyword("is")) {
        bool is_not = keyword("not");
        if (!keyword("empty")) {
          skip_ws();
          return fail("expected \"empty\" or \"not empty\" after \"is\"");
        }
        n.op = is_not ? Op::is_not_empty : Op::is_empty;
        return n;
      }
    }
    bool contains = keyword("contains");
    bool matches = !contains && keyword("matches");
    if (!contains && !matches) {
      skip_ws();
      return fail("expected an operator: ==, !=, in, not in, contains, not contains, matches, not matches, is empty or is not empty");
    }
    if (!skip_ws()) return fail("expected whitespace before the value");
    std::size_t value_at = pos_;
    auto v = parse_value();
    if (!v) return std::unexpected(v.error());
    n.value = std::move(*v);
    if (contains) {
      n.op = negated ? Op::not_in : Op::in;
      return n;
    }
    n.op = negated ? Op::not_matches : Op::matches;
    auto re = compile_regex(n.value);
    if (!re) return fail_at(value_at, "invalid regular expression: " + re.error());
    n.regex = std::move(*re);
    return n;
  }
};

}  // namespace

std::string Error::describe() const {
  return "Failed to create boolean expression evaluator: " + std::to_string(line) + ":" + std::to_string(column) +
         " (" + std::to_string(offset) + "): " + message;
}

std::expected<Expression, Error> parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return std::unexpected(Error{kMaxLength, 1, kMaxLength + 1,
                                 "expression longer than " + std::to_string(kMaxLength) + " bytes"});
  }
  auto root = Parser(text).run();
  if (root) return Expression(std::move(*root));
  Error e;
  e.offset = root.error().at;
  e.message = std::move(root.error().message);
  for (std::size_t i = 0; i < e.offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++e.line;
      e.column = 1;
    } else {
      ++e.column;
    }
  }
  return std::unexpected(std::move(e));
}

}  // namespace beacon::api::filter
