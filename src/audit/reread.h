// A log entry read again when a later withdrawal names it, so that the auditor keeps no
// per-leaf state (docs/performance.md, "What grows with the total"): the entry's bundle and the
// tiles of its inclusion proof are fetched again (a few recently used ones are kept) and the entry
// is proven against the checkpoint's root, so a source that serves another bundle the second time
// is caught exactly as a wrong bundle is caught the first time.
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/source.h"
#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/tile.h"

namespace tuidang::audit {

// The path of `tile` in a log source: "log/" + its C2SP tile path.
std::string LogPath(const tlog::TileId& tile);

// Not thread-safe; `source` must outlive it.
class EntryRereader : public tlog::TileReader {
 public:
  // Entries of the tree of `tree_size` leaves with root `root`, through a cache of
  // `cache_tiles` tiles and bundles (each at most 12.5 KB: the memory is bounded by it).
  EntryRereader(LogSource& source, uint64_t tree_size, const tlog::Hash& root,
                size_t cache_tiles = kDefaultCacheTiles);

  static constexpr size_t kDefaultCacheTiles = 256;

  // Entry `index` (< tree_size) as its bundle holds it. Fails with the file that could not
  // be read or parsed. When the entry's leaf hash is not proven to be leaf `index` of the
  // tree, *unproven says so ("read again from <file>, it is not in the checkpoint's tree
  // (...)") and the entry is still returned, for the caller to finish its other checks
  // first; otherwise *unproven is left empty.
  Result<std::string> Read(uint64_t index, std::string* unproven);

  // Fetches at once (one FetchAll: one round trip for a distant site) the bundles and level-0
  // tiles that Read(index) will need for each of `indexes`, so that a batch of withdrawals
  // waits for one round trip rather than one each. Errors are left for Read to report.
  void Prefetch(std::span<const uint64_t> indexes);

  // tlog::TileReader, for the proof: from the cache or the source. A missing partial tile
  // is read from the full tile it grew into, as the audit's walk does.
  Result<std::string> ReadTile(const tlog::TileId& tile) override;

  uint64_t tiles_fetched() const { return tiles_fetched_; }
  uint64_t bytes_fetched() const { return bytes_fetched_; }

 private:
  tlog::TileId BundleFor(uint64_t index) const;
  const std::string* Cached(const std::string& path);
  void Put(const std::string& path, std::string data);
  // The file at `path`, else the full tile's file when `tile` is partial.
  Result<std::string> FetchTile(const tlog::TileId& tile);

  LogSource& source_;
  const uint64_t tree_size_;
  const tlog::Hash root_;
  const size_t capacity_;
  std::list<std::pair<std::string, std::string>> lru_;  // (path, contents), newest first
  std::unordered_map<std::string, decltype(lru_)::iterator> by_path_;
  uint64_t tiles_fetched_ = 0, bytes_fetched_ = 0;
};

}  // namespace tuidang::audit
