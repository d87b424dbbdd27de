// beacon::catalog::MemoryStore: a Store held in memory, with no durability and no
// dependencies.
//
// Follows the Store contract as EmbeddedStore does (ops apply in order inside one commit;
// a put of the stored value and a del of a missing key are not changes; a commit that
// changes nothing returns the current index; an empty key or prefix is Error{invalid} and
// nothing is applied), so that the DNS and API modules and their tests can run the real
// change pipeline without linking a store adapter. Used from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/store.h"

namespace beacon::catalog {

class MemoryStore final : public Store {
 public:
  std::expected<uint64_t, Error> commit(const std::vector<Op>& ops) override;
  std::expected<Range, Error> range(std::string_view prefix) override;
  void watch(Watcher watcher) override { watchers_.push_back(std::move(watcher)); }
  uint64_t index() const override { return index_; }

 private:
  std::map<std::string, KeyValue, std::less<>> kvs_;
  uint64_t index_ = 0;
  std::vector<Watcher> watchers_;
};

}  // namespace beacon::catalog
