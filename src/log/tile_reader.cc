#include "log/tile_reader.h"

#include "tlog/hash.h"

namespace tuidang {

Result<std::string> StoreTileReader::ReadTile(const tlog::TileId& tile) {
  if (tile.level == 0 && tile.is_full()) {
    // Stored by the integrator since the thirteenth session (32 bytes a leaf): one row, not
    // 256 leaves hashed. A log integrated before has none; its tiles follow from the leaves.
    auto stored = store_->ReadHashTile(0, tile.index);
    if (!stored) return Error{stored.error()};
    if (stored->has_value() && (*stored)->width == tile.width) return std::move((*stored)->data);
  }
  if (tile.is_entry_bundle() || tile.level == 0) {
    // Entry bundles and partial level-0 tiles are not stored: both follow from the entries
    // (a level-0 tile is their leaf hashes).
    uint64_t begin = tile.index * tlog::kTileWidth;
    auto leaves = store_->ReadLeaves(begin, begin + static_cast<uint64_t>(tile.width));
    if (!leaves) return Error{leaves.error()};
    std::string out;
    out.reserve(leaves->size() * (tile.level == 0 ? 32 : 50));
    for (const auto& e : *leaves) {
      if (tile.is_entry_bundle()) {
        tlog::AppendBundleEntry(&out, e);
      } else {
        tlog::Hash h = tlog::LeafHash(e);
        out.append(reinterpret_cast<const char*>(h.data()), h.size());
      }
    }
    return out;
  }
  auto stored = store_->ReadHashTile(tile.level, tile.index);
  if (!stored) return Error{stored.error()};
  if (!stored->has_value() || (*stored)->width < tile.width) {
    return Error{"tile " + tlog::TilePath(tile) + " is not stored"};
  }
  return std::move((*stored)->data);
}

}  // namespace tuidang
