#include "store/sqlite/sqlite_pcache.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include <sqlite3.h>

namespace tuidang::sqlite {

namespace {

sqlite3_pcache_methods2 base;  // SQLite's own cache, set once before SQLite initialises
std::atomic<uint64_t> truncations{0}, skipped{0};

// SQLite's PENDING_BYTE (the first byte of the lock-byte page); only a build of SQLite for
// its own tests moves it.
constexpr uint64_t kPendingByte = 0x40000000;

struct Cache {
  sqlite3_pcache* inner;
  unsigned parking;      // the lock-byte page's number, where a split parks a page
  unsigned max_key = 0;  // at least the largest page number held, the parking place aside
  int parked = 0;        // pages moved to the parking place and not moved away (0 or 1)
};

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

int Init(void*) { return base.xInit(base.pArg); }
void Shutdown(void*) {
  if (base.xShutdown) base.xShutdown(base.pArg);
}

sqlite3_pcache* Create(int page_size, int extra, int purgeable) {
  sqlite3_pcache* inner = base.xCreate(page_size, extra, purgeable);
  if (!inner) return nullptr;
  auto* c = new (std::nothrow) Cache{inner, static_cast<unsigned>(kPendingByte / page_size + 1)};
  if (!c) {
    base.xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void Cachesize(sqlite3_pcache* p, int n) { base.xCachesize(Of(p)->inner, n); }
int Pagecount(sqlite3_pcache* p) { return base.xPagecount(Of(p)->inner); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  sqlite3_pcache_page* page = base.xFetch(c->inner, key, create);
  if (page) {
    if (key == c->parking) c->parked = 1;  // never done by SQLite; counted as parked
    else c->max_key = std::max(c->max_key, key);
  }
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  base.xUnpin(Of(p)->inner, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = Of(p);
  base.xRekey(c->inner, page, old_key, new_key);
  if (old_key == c->parking && c->parked > 0) c->parked--;
  if (new_key == c->parking) c->parked++;
  else c->max_key = std::max(c->max_key, new_key);
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = Of(p);
  // Pages to drop are those numbered `limit` or more: none can exist when every page held is
  // below `limit` and the parking place is empty or below it too.
  if (c->max_key < limit && (c->parked == 0 || c->parking < limit)) {
    skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  truncations.fetch_add(1, std::memory_order_relaxed);
  base.xTruncate(c->inner, limit);
  if (limit > 0) c->max_key = std::min(c->max_key, limit - 1);
  if (c->parking >= limit) c->parked = 0;
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  base.xDestroy(c->inner);
  delete c;
}

void Shrink(sqlite3_pcache* p) {
  if (base.xShrink) base.xShrink(Of(p)->inner);
}

}  // namespace

bool InstallPageCache() {
  static const bool installed = [] {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || !base.xCreate) {
      return false;
    }
    sqlite3_pcache_methods2 wrapper = base;
    wrapper.iVersion = base.iVersion;
    wrapper.pArg = nullptr;
    wrapper.xInit = Init;
    wrapper.xShutdown = Shutdown;
    wrapper.xCreate = Create;
    wrapper.xCachesize = Cachesize;
    wrapper.xPagecount = Pagecount;
    wrapper.xFetch = Fetch;
    wrapper.xUnpin = Unpin;
    wrapper.xRekey = Rekey;
    wrapper.xTruncate = Truncate;
    wrapper.xDestroy = Destroy;
    wrapper.xShrink = Shrink;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapper) == SQLITE_OK;
  }();
  return installed;
}

PageCacheCounts PageCacheCountsForTesting() { return {truncations.load(), skipped.load()}; }

}  // namespace tuidang::sqlite
