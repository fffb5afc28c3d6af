#include "web/page_cache.h"

namespace tuidang::web {

std::shared_ptr<const CachedBody> PageCache::Get(const std::string& key, int64_t version,
                                                 Clock::duration max_age) const {
  ReaderMutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const Entry& e = it->second;
  if (e.version == version || Clock::now() - e.rendered < max_age) return e.body;
  return nullptr;
}

void PageCache::Put(const std::string& key, int64_t version,
                    std::shared_ptr<const CachedBody> body) {
  WriterMutexLock lock(&mu_);
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[key] = Entry{version, Clock::now(), std::move(body)};
}

}  // namespace tuidang::web
