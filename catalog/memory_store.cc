// MemoryStore (catalog/memory_store.h): the Store contract over a sorted map.
#include "catalog/memory_store.h"

namespace beacon::catalog {

std::expected<uint64_t, Error> MemoryStore::commit(const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (op.key.empty()) return std::unexpected(Error{Error::Code::invalid, "empty key"});
  }
  const uint64_t next = index_ + 1;
  std::vector<Event> events;
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::put: {
        auto it = kvs_.find(op.key);
        if (it != kvs_.end() && it->second.value == op.value) break;
        uint64_t created = it == kvs_.end() ? next : it->second.create_index;
        KeyValue kv{op.key, op.value, created, next};
        kvs_[op.key] = kv;
        events.push_back(Event{Event::Kind::put, std::move(kv)});
        break;
      }
      case Op::Kind::del:
        if (kvs_.erase(op.key) > 0) events.push_back(Event{Event::Kind::del, KeyValue{op.key, {}, 0, next}});
        break;
      case Op::Kind::del_prefix:
        for (auto it = kvs_.lower_bound(op.key); it != kvs_.end() && it->first.starts_with(op.key);) {
          events.push_back(Event{Event::Kind::del, KeyValue{it->first, {}, 0, next}});
          it = kvs_.erase(it);
        }
        break;
    }
  }
  if (events.empty()) return index_;
  index_ = next;
  for (const Watcher& w : watchers_) w(index_, events);
  return index_;
}

std::expected<Range, Error> MemoryStore::range(std::string_view prefix) {
  Range out{index_, {}};
  for (auto it = kvs_.lower_bound(prefix); it != kvs_.end() && it->first.starts_with(prefix); ++it)
    out.kvs.push_back(it->second);
  return out;
}

}  // namespace beacon::catalog
