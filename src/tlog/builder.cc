#include "tlog/builder.h"

#include <fmt/format.h>

namespace tuidang::tlog {

TreeBuilder::TreeBuilder() = default;

Result<TreeBuilder> TreeBuilder::Resume(TileReader& tiles, uint64_t tree_size) {
  TreeBuilder builder;
  builder.size_ = tree_size;
  uint64_t nodes = tree_size;  // nodes at level 8L, for L = 0, 1, ...
  for (int level = 0; nodes > 0; ++level, nodes /= kTileWidth) {
    Level state;
    state.index = nodes / kTileWidth;
    const int width = static_cast<int>(nodes % kTileWidth);
    if (width > 0) {
      const TileId id{level, state.index, width};
      Result<std::string> data = tiles.ReadTile(id);
      if (!data) return Error{data.error()};
      Result<std::vector<Hash>> hashes = DecodeTile(*data, width);
      if (!hashes) return Error{fmt::format("{}: {}", TilePath(id), hashes.error())};
      state.hashes = std::move(*hashes);
    }
    builder.levels_.push_back(std::move(state));
  }

  builder.bundle_index_ = tree_size / kTileWidth;
  builder.bundle_count_ = static_cast<int>(tree_size % kTileWidth);
  if (builder.bundle_count_ > 0) {
    const TileId id{kEntryBundleLevel, builder.bundle_index_, builder.bundle_count_};
    Result<std::string> data = tiles.ReadTile(id);
    if (!data) return Error{data.error()};
    Result<std::vector<std::string_view>> entries = ParseEntryBundle(*data, id.width);
    if (!entries) return Error{fmt::format("{}: {}", TilePath(id), entries.error())};
    // The bundle and the level-0 tile are stored separately; a mismatch would put entries in
    // the log that its hashes do not commit to.
    for (size_t i = 0; i < entries->size(); ++i) {
      if (LeafHash((*entries)[i]) != builder.levels_[0].hashes[i]) {
        return Error{fmt::format("{}: entry {} does not match its tile", TilePath(id), i)};
      }
      AppendBundleEntry(&builder.bundle_, (*entries)[i]);
    }
  }
  return builder;
}

Hash TreeBuilder::Root() const {
  if (size_ == 0) return EmptyRoot();
  // The complete subtrees covering the tree, left to right: for each tile level from the
  // top, the perfect subtrees that its partial tile's width decomposes into.
  std::vector<Hash> subtrees;
  for (size_t level = levels_.size(); level-- > 0;) {
    std::span<const Hash> hashes = levels_[level].hashes;
    size_t pos = 0;
    for (size_t bit = kTileWidth / 2; bit > 0; bit /= 2) {
      if ((hashes.size() & bit) == 0) continue;
      subtrees.push_back(RootFromHashes(hashes.subspan(pos, bit)));
      pos += bit;
    }
  }
  Hash root = subtrees.back();
  for (size_t i = subtrees.size() - 1; i-- > 0;) root = NodeHash(subtrees[i], root);
  return root;
}

void TreeBuilder::PushHash(size_t level, const Hash& hash, std::vector<TileContent>* out) {
  if (levels_.size() == level) levels_.emplace_back();
  Level& state = levels_[level];
  state.hashes.push_back(hash);
  if (state.hashes.size() < static_cast<size_t>(kTileWidth)) return;
  const Hash tile_root = RootFromHashes(state.hashes);
  out->push_back(TileContent{TileId{static_cast<int>(level), state.index, kTileWidth},
                             EncodeTile(state.hashes)});
  state.hashes.clear();
  ++state.index;
  PushHash(level + 1, tile_root, out);  // `state` may dangle from here on
}

Result<AppendResult> TreeBuilder::Append(std::span<const std::string> entries) {
  return AppendImpl(entries);
}

Result<AppendResult> TreeBuilder::Append(std::span<const std::string_view> entries) {
  return AppendImpl(entries);
}

template <typename Entry>
Result<AppendResult> TreeBuilder::AppendImpl(std::span<const Entry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > kMaxEntrySize) {
      return Error{
          fmt::format("entry {} has {} bytes, more than {}", i, entries[i].size(), kMaxEntrySize)};
    }
  }
  const uint64_t old_size = size_;
  if (entries.size() > UINT64_MAX - old_size) return Error{"log full"};

  AppendResult result;
  result.tiles.reserve(2 * (entries.size() / kTileWidth + levels_.size() + 2));
  // Full tiles and bundles are emitted as they fill, in the order NewTiles lists them within
  // each kind; partial ones are added at the end.
  std::vector<TileContent> bundles;
  for (const Entry& entry : entries) {
    if (bundle_.empty()) bundle_.reserve(kTileWidth * (entry.size() + 2));
    AppendBundleEntry(&bundle_, entry);
    if (++bundle_count_ == kTileWidth) {
      bundles.push_back(
          TileContent{TileId{kEntryBundleLevel, bundle_index_, kTileWidth}, std::move(bundle_)});
      bundle_.clear();
      bundle_count_ = 0;
      ++bundle_index_;
    }
    PushHash(0, LeafHash(entry), &result.tiles);
  }
  size_ = old_size + entries.size();

  uint64_t old_nodes = old_size, new_nodes = size_;
  for (size_t level = 0; level < levels_.size(); ++level) {
    const Level& state = levels_[level];
    if (!state.hashes.empty() && old_nodes != new_nodes) {
      result.tiles.push_back(TileContent{
          TileId{static_cast<int>(level), state.index, static_cast<int>(state.hashes.size())},
          EncodeTile(state.hashes)});
    }
    old_nodes /= kTileWidth;
    new_nodes /= kTileWidth;
  }
  for (TileContent& bundle : bundles) result.tiles.push_back(std::move(bundle));
  if (bundle_count_ > 0 && old_size != size_) {
    result.tiles.push_back(
        TileContent{TileId{kEntryBundleLevel, bundle_index_, bundle_count_}, bundle_});
  }
  result.tree_size = size_;
  result.root = Root();
  return result;
}

}  // namespace tuidang::tlog
