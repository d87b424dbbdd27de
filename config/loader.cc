// load_files, load_string, list_config_dir and dev_defaults: reading sources and handing
// each parsed document to decode_document().
#include "config/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/decode.h"

namespace beacon::config {
namespace {

using detail::Fields;
using detail::LoadState;

// Parses `text` named `name` and applies it to `state`.
std::expected<void, Error> apply_document(std::string_view text, std::string_view name,
                                          LoadState& state) {
  Fields fields(name);
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return std::unexpected(detail::error_at(fields.origin(e.source()), "",
                                            "TOML syntax error: " + std::string(e.description())));
  }
  return detail::decode_document(fields, root, state);
}

std::expected<std::string, Error> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return std::unexpected(Error{path + ": cannot read: is a directory"});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{path + ": cannot read: " + std::strerror(errno)});
  std::ostringstream body;
  body << in.rdbuf();
  if (in.bad()) return std::unexpected(Error{path + ": cannot read: " + std::strerror(errno)});
  return body.str();
}

}  // namespace

std::expected<Config, Error> load_files(const std::vector<std::string>& files) {
  LoadState state;
  for (const std::string& file : files) {
    auto text = read_file(file);
    if (!text) return std::unexpected(text.error());
    if (auto ok = apply_document(*text, file, state); !ok) return std::unexpected(ok.error());
  }
  return detail::finish_load(std::move(state));
}

std::expected<Config, Error> load_string(std::string_view toml, std::string_view name) {
  LoadState state;
  if (auto ok = apply_document(toml, name, state); !ok) return std::unexpected(ok.error());
  return detail::finish_load(std::move(state));
}

std::expected<std::vector<std::string>, Error> list_config_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return std::unexpected(Error{dir + ": cannot read directory: " + ec.message()});
  std::vector<std::string> files;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    if (entry.path().extension() != ".toml") continue;
    std::error_code type_ec;
    if (entry.is_directory(type_ec)) continue;
    files.push_back(entry.path().string());
  }
  if (ec) return std::unexpected(Error{dir + ": cannot read directory: " + ec.message()});
  // Name order, byte-wise, so "10-x.toml" sorts before "9-y.toml" as in Consul.
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return std::filesystem::path(a).filename().string() <
           std::filesystem::path(b).filename().string();
  });
  return files;
}

Config dev_defaults() {
  Config config;
  config.dev = true;
  config.node_name = default_node_name();
  return config;
}

}  // namespace beacon::config
