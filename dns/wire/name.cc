#include "dns/wire/name.h"

#include <cstdio>

namespace beacon::dns {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
  return out;
}

std::optional<std::string> make_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return std::nullopt;
  std::string out;
  out.reserve(label.size() + 1);
  out.push_back(static_cast<char>(label.size()));
  out.append(label);
  return out;
}

std::optional<std::string> text_to_labels(std::string_view dotted) {
  if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
  std::string out;
  if (dotted.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string_view part = dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start);
    auto label = make_label(part);
    if (!label) return std::nullopt;
    out += ascii_lower(*label);
    if (out.size() + 1 > 255) return std::nullopt;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string labels_to_text(std::string_view labels) {
  std::string out;
  size_t i = 0;
  while (i < labels.size()) {
    size_t len = static_cast<uint8_t>(labels[i]);
    if (len == 0) break;
    ++i;
    for (size_t j = 0; j < len && i < labels.size(); ++j, ++i) {
      unsigned char c = static_cast<unsigned char>(labels[i]);
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (plain) {
        out.push_back(static_cast<char>(c));
      } else {
        char esc[5];
        std::snprintf(esc, sizeof esc, "\\%03u", c);
        out += esc;
      }
    }
    out.push_back('.');
  }
  if (out.empty()) out = ".";
  return out;
}

}  // namespace beacon::dns
