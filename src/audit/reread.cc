#include "audit/reread.h"

#include <fmt/format.h>

#include <algorithm>

#include "tlog/merkle.h"

namespace tuidang::audit {

std::string LogPath(const tlog::TileId& tile) { return "log/" + tlog::TilePath(tile); }

EntryRereader::EntryRereader(LogSource& source, uint64_t tree_size, const tlog::Hash& root,
                             size_t cache_tiles)
    : source_(source),
      tree_size_(tree_size),
      root_(root),
      capacity_(std::max<size_t>(1, cache_tiles)) {}

tlog::TileId EntryRereader::BundleFor(uint64_t index) const {
  tlog::TileId tile = tlog::TileFor(0, index, tree_size_);
  tile.level = tlog::kEntryBundleLevel;
  return tile;
}

const std::string* EntryRereader::Cached(const std::string& path) {
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->second;
}

void EntryRereader::Put(const std::string& path, std::string data) {
  if (Cached(path) != nullptr) return;
  lru_.emplace_front(path, std::move(data));
  by_path_[path] = lru_.begin();
  if (lru_.size() > capacity_) {
    by_path_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

Result<std::string> EntryRereader::FetchTile(const tlog::TileId& tile) {
  const std::string path = LogPath(tile);
  if (const std::string* hit = Cached(path)) return *hit;
  Fetched fetched = source_.FetchIfExists(path);
  if (!fetched) return Error{fetched.error()};
  if (!fetched->has_value() && !tile.is_full()) {
    fetched =
        source_.FetchIfExists(LogPath(tlog::TileId{tile.level, tile.index, tlog::kTileWidth}));
    if (!fetched) return Error{fetched.error()};
  }
  if (!fetched->has_value()) return Error{source_.NotFoundMessage(path)};
  ++tiles_fetched_;
  bytes_fetched_ += (*fetched)->size();
  std::string data = std::move(**fetched);
  Put(path, data);
  return data;
}

Result<std::string> EntryRereader::ReadTile(const tlog::TileId& tile) { return FetchTile(tile); }

void EntryRereader::Prefetch(std::span<const uint64_t> indexes) {
  std::vector<tlog::TileId> tiles;
  std::vector<std::string> paths;
  for (uint64_t index : indexes) {
    if (index >= tree_size_) continue;
    for (tlog::TileId tile : {BundleFor(index), tlog::TileFor(0, index, tree_size_)}) {
      std::string path = LogPath(tile);
      if (by_path_.contains(path) || std::find(paths.begin(), paths.end(), path) != paths.end())
        continue;
      tiles.push_back(tile);
      paths.push_back(std::move(path));
    }
  }
  // More than the cache holds would evict the first before they are read: fetch what fits.
  if (paths.size() > capacity_) {
    paths.resize(capacity_);
    tiles.resize(capacity_);
  }
  if (paths.empty()) return;
  std::vector<Fetched> fetched = source_.FetchAll(paths);
  for (size_t i = 0; i < paths.size(); ++i) {
    // A missing partial tile or a failure: Read fetches it again and reports it.
    if (!fetched[i] || !fetched[i]->has_value()) continue;
    ++tiles_fetched_;
    bytes_fetched_ += (*fetched[i])->size();
    Put(paths[i], std::move(**fetched[i]));
  }
}

Result<std::string> EntryRereader::Read(uint64_t index, std::string* unproven) {
  unproven->clear();
  if (index >= tree_size_) {
    return Error{fmt::format("leaf {} is not in the tree of size {}", index, tree_size_)};
  }
  const tlog::TileId bundle_id = BundleFor(index);
  const std::string where = source_.Locate(LogPath(bundle_id));
  Result<std::string> bundle = FetchTile(bundle_id);
  if (!bundle) return Error{bundle.error()};
  Result<std::vector<std::string_view>> entries = tlog::ParseEntryBundle(*bundle, bundle_id.width);
  if (!entries) return Error{fmt::format("read again from {}: {}", where, entries.error())};
  std::string entry((*entries)[static_cast<size_t>(index - bundle_id.index * tlog::kTileWidth)]);

  tlog::TileHashReader hashes(this, tree_size_);
  Result<std::vector<tlog::Hash>> proof = tlog::InclusionProof(hashes, index, tree_size_);
  if (!proof) return Error{fmt::format("read again from {}: {}", where, proof.error())};
  if (Status s = tlog::VerifyInclusion(tlog::LeafHash(entry), index, tree_size_, *proof, root_);
      !s) {
    *unproven = fmt::format("read again from {}, it is not in the checkpoint's tree ({})", where,
                            s.message());
  }
  return entry;
}

}  // namespace tuidang::audit
