// JSON bounds (base/json_bounds.h): one pass over the text, tracking string state and depth.
#include "base/json_bounds.h"

namespace beacon::base {

std::optional<std::string> check_json_bounds(std::string_view text, JsonBounds bounds) {
  if (bounds.max_bytes != 0 && text.size() > bounds.max_bytes) {
    return "JSON larger than " + std::to_string(bounds.max_bytes) + " bytes";
  }
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is, cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        if (++depth > bounds.max_depth) {
          return "JSON nested deeper than " + std::to_string(bounds.max_depth) + " levels";
        }
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;  // unbalanced text is the parser's to refuse
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace beacon::base
