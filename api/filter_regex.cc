// Filter expressions (api/filter.h): `matches` patterns on glibc's POSIX regex engine.
//
// std::regex backtracks (`(a|a)*b` takes exponential time, and its recursion can exhaust the
// stack on long subjects); glibc's regexec simulates the automaton instead, so the time of a
// match grows with the subject times the pattern, never exponentially. What remains to bound
// is the size of the compiled automaton: the pattern's length, and counted repetitions
// (`(x{100}){100}` expands to 10,000 copies), whose counts may multiply to kMaxRepeat at most.
// Go's RE2 syntax and POSIX ERE agree on the usual filters (`^web-[0-9]+$`, `a|b`, `.*`);
// `\d`/`\D` are rewritten, back-references (which RE2 lacks too) are refused.
#include <regex.h>

#include <algorithm>
#include <string>

#include "api/filter.h"

namespace beacon::api::filter {

class Regex {
 public:
  Regex() = default;
  ~Regex() {
    if (compiled_) regfree(&re_);
  }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  regex_t re_{};
  bool compiled_ = false;
};

namespace {

// The pattern as glibc takes it, or the reason it is refused.
std::expected<std::string, std::string> translate(std::string_view pattern) {
  std::string out;
  long repeat = 1;
  bool in_bracket = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\0') return std::unexpected("NUL byte in pattern");
    if (in_bracket) {
      // A ']' right after '[' or '[^' is a literal member.
      bool first = out.back() == '[' || (out.back() == '^' && out[out.size() - 2] == '[');
      if (c == ']' && !first) in_bracket = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_bracket = true;
      out += c;
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[++i];
      if (e >= '1' && e <= '9') return std::unexpected("back-references are not supported");
      if (e == 'd') out += "[0-9]";
      else if (e == 'D') out += "[^0-9]";
      else {
        out += '\\';
        out += e;
      }
      continue;
    }
    if (c == '{') {
      std::size_t close = pattern.find('}', i);
      if (close == std::string_view::npos) return std::unexpected("missing '}' in a repetition");
      std::string_view counts = pattern.substr(i + 1, close - i - 1);
      long most = 0, current = 0;
      bool any_digit = false;
      for (char d : counts) {
        if (d >= '0' && d <= '9') {
          current = current * 10 + (d - '0');
          any_digit = true;
          if (current > kMaxRepeat) return std::unexpected("repetition count above " + std::to_string(kMaxRepeat));
        } else if (d == ',') {
          most = std::max(most, current);
          current = 0;
        } else {
          return std::unexpected("invalid repetition {" + std::string(counts) + "}");
        }
      }
      if (!any_digit) return std::unexpected("invalid repetition {" + std::string(counts) + "}");
      // {m,} repeats without bound in the automaton's loop: it costs m + 1 copies.
      most = counts.ends_with(',') ? most + 1 : std::max(most, current);
      repeat *= std::max(most, 1L);
      if (repeat > kMaxRepeat) {
        return std::unexpected("counted repetitions multiply to more than " + std::to_string(kMaxRepeat));
      }
    }
    out += c;
  }
  return out;
}

}  // namespace

std::expected<std::shared_ptr<const Regex>, std::string> compile_regex(std::string_view pattern) {
  if (pattern.size() > kMaxPattern) {
    return std::unexpected("pattern longer than " + std::to_string(kMaxPattern) + " bytes");
  }
  auto text = translate(pattern);
  if (!text) return std::unexpected(text.error());
  auto regex = std::make_shared<Regex>();
  int rc = regcomp(&regex->re_, text->c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char reason[128];
    regerror(rc, &regex->re_, reason, sizeof reason);
    return std::unexpected(std::string(reason));
  }
  regex->compiled_ = true;
  return std::shared_ptr<const Regex>(std::move(regex));
}

bool regex_search(const Regex& regex, std::string_view subject) {
  // REG_STARTEND (glibc) bounds the subject by pmatch[0], so it needs no NUL terminator and
  // may contain NUL bytes.
  regmatch_t range[1];
  range[0].rm_so = 0;
  range[0].rm_eo = static_cast<regoff_t>(subject.size());
  return regexec(&regex.re_, subject.empty() ? "" : subject.data(), 1, range, REG_STARTEND) == 0;
}

}  // namespace beacon::api::filter
