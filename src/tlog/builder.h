// TreeBuilder: appends entries to a tiled log and says which tiles and entry bundles to store
// and what the new root is. The log's integrator is its only user.
//
// It keeps the right edge of the tree in memory, the partial tile of every level and the
// partial entry bundle: at most 8 * 255 hashes and 255 entries. Everything to the left is in
// full tiles that never change and that it never reads again.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/tile.h"

namespace tuidang::tlog {

struct TileContent {
  TileId id;
  std::string data;  // hashes (EncodeTile), or entries (AppendBundleEntry) for a bundle
};

struct AppendResult {
  uint64_t tree_size = 0;  // after the append
  Hash root{};
  // Every hash tile and entry bundle that the new size serves and the old one did not (see
  // NewTiles): the full ones this append completed and the partial ones of the new size. The
  // order carries no meaning. Store them all before publishing a checkpoint for tree_size.
  std::vector<TileContent> tiles;
};

// Not thread-safe: one integrator appends at a time (DESIGN.md).
class TreeBuilder {
 public:
  // An empty log.
  TreeBuilder();

  // Picks up the log of `tree_size` entries stored in `tiles`: reads the partial tile of each
  // level and the partial entry bundle. Fails if one is missing or malformed, or if the partial
  // bundle does not hash to the partial level-0 tile. The caller should then check Root()
  // against its last checkpoint.
  static Result<TreeBuilder> Resume(TileReader& tiles, uint64_t tree_size);

  uint64_t size() const { return size_; }
  Hash Root() const;

  // Appends `entries` in order, each at most kMaxEntrySize bytes; on error (one is longer)
  // nothing is appended. Cost: about one leaf hash and one node hash per entry. Appending a
  // million entries at once holds all their tiles (about 50 MB) in the result; callers
  // append in batches.
  Result<AppendResult> Append(std::span<const std::string> entries);
  Result<AppendResult> Append(std::span<const std::string_view> entries);

 private:
  struct Level {
    uint64_t index = 0;        // N of the partial tile
    std::vector<Hash> hashes;  // its hashes, fewer than kTileWidth
  };

  template <typename Entry>
  Result<AppendResult> AppendImpl(std::span<const Entry> entries);
  // Adds one hash to tile level `level`; a tile that fills is emitted into `out` and its root
  // carried to the level above.
  void PushHash(size_t level, const Hash& hash, std::vector<TileContent>* out);

  uint64_t size_ = 0;
  std::vector<Level> levels_;
  uint64_t bundle_index_ = 0;  // N of the partial entry bundle
  int bundle_count_ = 0;       // entries in it
  std::string bundle_;         // its bytes
};

}  // namespace tuidang::tlog
