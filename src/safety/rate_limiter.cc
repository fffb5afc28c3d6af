#include "safety/rate_limiter.h"

namespace tuidang::safety {

RateLimiter::RateLimiter(Limit limit, Clock clock, size_t max_keys)
    : limit_(limit), clock_(std::move(clock)), max_keys_(max_keys) {}

int64_t RateLimiter::Take(const ClientKey& key) {
  if (limit_.count <= 0) return 0;
  int64_t now = clock_();
  MutexLock lock(&mu_);
  if (key.epoch != epoch_) {
    // A new hourly key: the old hashes mean nothing any more; forget them.
    if (key.epoch < epoch_) return 0;  // a request that raced the rotation
    windows_.clear();
    epoch_ = key.epoch;
  }
  auto it = windows_.find(key.hash);
  if (it == windows_.end()) {
    if (windows_.size() >= max_keys_) {
      std::erase_if(windows_,
                    [&](const auto& kv) { return now - kv.second.start >= limit_.window_seconds; });
      if (windows_.size() >= max_keys_) windows_.clear();
    }
    it = windows_.emplace(key.hash, Window{now, 0}).first;
  }
  Window& w = it->second;
  if (now - w.start >= limit_.window_seconds) w = Window{now, 0};
  if (w.count >= limit_.count) {
    int64_t left = w.start + limit_.window_seconds - now;
    return left > 0 ? left : 1;
  }
  ++w.count;
  return 0;
}

int64_t RateLimiter::Count(const ClientKey& key) {
  int64_t now = clock_();
  MutexLock lock(&mu_);
  if (key.epoch != epoch_) return 0;
  auto it = windows_.find(key.hash);
  if (it == windows_.end() || now - it->second.start >= limit_.window_seconds) return 0;
  return it->second.count;
}

int64_t RateLimiter::Blocked(const ClientKey& key) {
  if (limit_.count <= 0) return 0;
  int64_t now = clock_();
  MutexLock lock(&mu_);
  if (key.epoch != epoch_) return 0;
  auto it = windows_.find(key.hash);
  if (it == windows_.end()) return 0;
  const Window& w = it->second;
  if (now - w.start >= limit_.window_seconds || w.count < limit_.count) return 0;
  int64_t left = w.start + limit_.window_seconds - now;
  return left > 0 ? left : 1;
}

size_t RateLimiter::TrackedKeys() {
  MutexLock lock(&mu_);
  return windows_.size();
}

}  // namespace tuidang::safety
