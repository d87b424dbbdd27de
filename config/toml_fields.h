// PRIVATE to config/: typed, position-aware reads from a parsed toml++ document.
//
// This header includes toml++ and must never be included from outside config/ (other
// modules see only config.h, loader.h and validate.h). Every read takes the dotted key path
// it is reading ("dns_config.soa.min_ttl") and, on failure, returns an Error formatted as
// "FILE:LINE:COL: KEY: reason" with the position of the offending value or key.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace beacon::config::detail {

// A position in a named source ("web.toml", line 3, column 1). Lines and columns are 1-based;
// 0 means unknown and is left out of messages.
struct Origin {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

// "FILE:LINE:COL: KEY: reason" (KEY and its ": " are dropped when `key` is empty).
Error error_at(const Origin& at, std::string_view key, std::string_view reason);

// "FILE:LINE:COL" for quoting an earlier definition in a message.
std::string describe(const Origin& at);

// Reads values out of one parsed document named `file`. Holds only a copy of the name; the
// nodes passed in must outlive each call. Thread-compatible.
class Fields {
 public:
  using Result = std::expected<void, Error>;
  // Called with the value node and its full dotted key path.
  using Handler = std::function<Result(const toml::node&, const std::string&)>;

  explicit Fields(std::string_view file) : file_(file) {}

  const std::string& file() const { return file_; }
  Origin origin(const toml::source_region& where) const;
  Origin origin(const toml::node& node) const { return origin(node.source()); }
  Error error(const toml::node& at, std::string_view key, std::string_view reason) const {
    return error_at(origin(at), key, reason);
  }

  // Typed reads. A wrong TOML type gives "expected X, got Y"; a bad value gives the reason.
  std::expected<std::string, Error> string(const toml::node& n, const std::string& key) const;
  std::expected<bool, Error> boolean(const toml::node& n, const std::string& key) const;
  std::expected<int64_t, Error> integer(const toml::node& n, const std::string& key, int64_t min,
                                        int64_t max) const;
  // A float or integer in 0..1.
  std::expected<double, Error> fraction(const toml::node& n, const std::string& key) const;
  // A duration string such as "10s" (see parse_duration).
  std::expected<Duration, Error> duration(const toml::node& n, const std::string& key) const;
  // An array whose elements are all strings.
  std::expected<std::vector<std::string>, Error> strings(const toml::node& n,
                                                         const std::string& key) const;
  std::expected<const toml::table*, Error> table(const toml::node& n, const std::string& key) const;
  std::expected<const toml::array*, Error> array(const toml::node& n, const std::string& key) const;
  // An array of tables (`[[key]]`): calls `each` with every table, its node and its path
  // "<key>[i]", in order; the first error (a non-table element, or what `each` returns) ends it.
  using TableFn = std::function<std::expected<void, Error>(const toml::table& table, const toml::node& item,
                                                           const std::string& item_path)>;
  std::expected<void, Error> tables(const toml::node& n, const std::string& key, const TableFn& each) const;

  // Visits the entries of `table` in the order they were written, calling the handler
  // registered under each entry's name with the path "<prefix>.<name>" (just "<name>" when
  // `prefix` is empty). A name with no handler is an "unknown key" error at the key. Stops at
  // the first error.
  Result walk(const toml::table& table, const std::string& prefix,
              std::initializer_list<std::pair<std::string_view, Handler>> handlers) const;

  // Handlers that store a checked value into `out` (which must outlive the walk).
  Handler into(std::string& out) const;
  Handler into(bool& out) const;
  Handler into(Duration& out) const;
  Handler into(std::vector<std::string>& out) const;
  template <typename T>
  Handler into_int(T& out, int64_t min, int64_t max) const {
    return [this, &out, min, max](const toml::node& n, const std::string& key) -> Result {
      auto value = integer(n, key, min, max);
      if (!value) return std::unexpected(value.error());
      out = static_cast<T>(*value);
      return {};
    };
  }

 private:
  std::string file_;
};

// The entries of `table` sorted by where their keys were written (toml++ keeps a table
// sorted by name). The pointers stay valid as long as `table` does.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& table);

// "services" + 2 gives "services[2]".
std::string indexed(const std::string& path, std::size_t index);

}  // namespace beacon::config::detail
