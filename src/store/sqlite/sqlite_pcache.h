// SQLite's page cache, wrapped so that a commit does not walk the whole cache for nothing.
//
// Why: when a B-tree page splits, SQLite (3.40, Debian bookworm) renumbers the new pages
// into ascending order, parking one for a moment at the number of the lock-byte page
// (page 262,145 with 4 KiB pages, beyond any database under 1 GiB). The default cache
// (pcache1) then remembers 262,145 as its largest page number, and at the end of the
// transaction, asked to drop the pages beyond the database's end, walks every bucket of
// its hash table to find none. With the writer's 64 MiB cache that walk was 10-15 % of the
// writer thread under a surge of submissions (perf, docs/performance.md).
//
// The wrapper keeps its own largest page number, leaving out that parking place, and skips
// the walk when no page can be beyond the end. Everything else is SQLite's own cache.
#pragma once

#include <cstdint>

namespace tuidang::sqlite {

// Installs the wrapper. Must run before SQLite is initialised (before the first connection
// is opened); returns false, leaving SQLite's cache as it is, if that moment has passed.
// Idempotent and thread-safe.
bool InstallPageCache();

// Truncations passed on to SQLite's cache and skipped, since the process started.
struct PageCacheCounts {
  uint64_t truncations = 0;
  uint64_t skipped = 0;
};
PageCacheCounts PageCacheCountsForTesting();

}  // namespace tuidang::sqlite
