#pragma once
// Internal: values kept by key, the most recently used first, at most `capacity` of them
// (the least recently used goes). Thread-safe; what is made between find() and keep() is
// made outside the lock, so two threads missing the same key both make it (the later keep
// adds a second entry, which ages out).
//
//   LruMemo<Program> programs(32);
//   if (auto hit = programs.find(key)) return *hit;
//   Program built = ...;
//   programs.keep(key, built);

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace tessera::detail {

template <typename Value>
class LruMemo {
 public:
  explicit LruMemo(std::size_t capacity) : capacity_(capacity) {}

  /// The value kept for `key` (a copy), now the most recently used; nothing when none is.
  std::optional<Value> find(const std::string& key) {
    const std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first != key) continue;
      entries_.splice(entries_.begin(), entries_, it);
      ++hits_;
      return it->second;
    }
    return std::nullopt;
  }

  void keep(std::string key, Value value) {
    const std::lock_guard lock(mutex_);
    entries_.emplace_front(std::move(key), std::move(value));
    if (entries_.size() > capacity_) entries_.pop_back();
  }

  /// How many find() calls found their key.
  std::size_t hits() const {
    const std::lock_guard lock(mutex_);
    return hits_;
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<std::string, Value>> entries_;  // most recently used first
  std::size_t hits_ = 0;
};

}  // namespace tessera::detail
