// A cache of rendered pages. A page is reused while its `version` (what it was rendered
// from, such as the number of statements of its day) is unchanged, or for `max_age` after
// rendering whatever the version, so that a busy day's first page is rendered at most
// about once a second however many readers ask for it. A page is kept with its gzip form
// (web/gzip.h CachedBody), compressed once when rendered. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/mutex.h"
#include "web/gzip.h"

namespace tuidang::web {

class PageCache {
 public:
  using Clock = std::chrono::steady_clock;
  // `max_entries`: entries kept at most; when full, the cache starts over (pages are cheap
  // to render, and a bound matters more than a perfect eviction policy).
  explicit PageCache(size_t max_entries = 20000) : max_entries_(max_entries) {}

  // The cached body for `key` if it was rendered from `version` or less than `max_age` ago;
  // nullptr otherwise.
  std::shared_ptr<const CachedBody> Get(const std::string& key, int64_t version,
                                        Clock::duration max_age) const;
  void Put(const std::string& key, int64_t version, std::shared_ptr<const CachedBody> body);

 private:
  struct Entry {
    int64_t version;
    Clock::time_point rendered;
    std::shared_ptr<const CachedBody> body;
  };
  const size_t max_entries_;
  mutable SharedMutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace tuidang::web
