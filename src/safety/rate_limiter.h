// Fixed-window rate limits over ClientKeys (or any 16-byte keyed hash), held in memory only.
// Entries made under an older hourly key are dropped when the key rotates, so the table
// never outlives the hash key that made it.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>

#include "core/mutex.h"
#include "safety/client_key.h"

namespace tuidang::safety {

struct Limit {
  int64_t count = 0;  // events allowed per window; 0 = no limit
  int64_t window_seconds = 60;
};

// Thread-safe.
class RateLimiter {
 public:
  // At most `max_keys` clients are tracked: past that, stale windows are dropped, and if
  // the table is still full it is cleared (per-client limits fail open; the global limit
  // still holds), so a flood of distinct addresses cannot exhaust memory.
  RateLimiter(Limit limit, Clock clock, size_t max_keys = 200000);

  // Records one event for `key`; returns 0 when allowed, else the seconds until the
  // window ends (for Retry-After). An over-limit attempt is not counted.
  int64_t Take(const ClientKey& key);
  // Events counted for `key` in its current window (tests, metrics).
  int64_t Count(const ClientKey& key);
  // Without counting: 0 when `key` may take one more now, else the seconds until its
  // window ends.
  int64_t Blocked(const ClientKey& key);
  size_t TrackedKeys();

 private:
  struct Hash {
    size_t operator()(const std::array<uint8_t, 16>& a) const {
      size_t h;
      static_assert(sizeof h <= 16);
      __builtin_memcpy(&h, a.data(), sizeof h);
      return h;
    }
  };
  struct Window {
    int64_t start = 0;
    int64_t count = 0;
  };
  Limit limit_;
  Clock clock_;
  size_t max_keys_;
  Mutex mu_;
  int64_t epoch_ GUARDED_BY(mu_) = -1;
  std::unordered_map<std::array<uint8_t, 16>, Window, Hash> windows_ GUARDED_BY(mu_);
};

}  // namespace tuidang::safety
