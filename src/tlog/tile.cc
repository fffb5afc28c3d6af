#include "tlog/tile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tuidang::tlog {

namespace {

constexpr std::string_view kTilePrefix = "tile/";
constexpr std::string_view kEntriesName = "entries";
constexpr std::string_view kPartialSuffix = ".p";
// 2^64 - 1 has 20 digits: at most 7 groups of 3.
constexpr size_t kMaxIndexGroups = 7;

// x >> s, defined for every s: tile levels reach shifts of 64 and beyond.
uint64_t Shr(uint64_t x, int s) { return s >= 64 ? 0 : x >> s; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal with no leading zero (but "0" itself), at most `max`; -1 if not.
int ParseSmallDecimal(std::string_view s, int max) {
  if (!AllDigits(s) || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return -1;
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value <= max ? value : -1;
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

Error BadPath(std::string_view path, std::string_view why) {
  return Error{fmt::format("tile path {:?}: {}", path, why)};
}

}  // namespace

std::string TilePath(const TileId& tile) {
  std::string path(kTilePrefix);
  if (tile.is_entry_bundle()) {
    path += kEntriesName;
  } else {
    path += std::to_string(tile.level);
  }
  // Groups of three digits, most significant first.
  uint64_t groups[kMaxIndexGroups];
  size_t count = 0;
  uint64_t n = tile.index;
  do {
    groups[count++] = n % 1000;
    n /= 1000;
  } while (n > 0);
  for (size_t i = count; i-- > 0;) {
    path += i > 0 ? fmt::format("/x{:03d}", groups[i]) : fmt::format("/{:03d}", groups[i]);
  }
  if (!tile.is_full()) path += fmt::format(".p/{}", tile.width);
  return path;
}

Result<TileId> ParseTilePath(std::string_view path) {
  if (path.substr(0, kTilePrefix.size()) != kTilePrefix) return BadPath(path, "not under tile/");
  std::vector<std::string_view> parts = Split(path.substr(kTilePrefix.size()), '/');
  if (parts.size() < 2) return BadPath(path, "too short");

  TileId tile;
  if (parts[0] == kEntriesName) {
    tile.level = kEntryBundleLevel;
  } else {
    tile.level = ParseSmallDecimal(parts[0], kMaxTileLevel);
    if (tile.level < 0) return BadPath(path, "bad level");
  }

  if (parts.size() >= 3 && parts[parts.size() - 2].ends_with(kPartialSuffix)) {
    tile.width = ParseSmallDecimal(parts.back(), kTileWidth - 1);
    if (tile.width <= 0) return BadPath(path, "bad partial width");
    parts.pop_back();
    parts.back().remove_suffix(kPartialSuffix.size());
  }

  const size_t group_count = parts.size() - 1;
  if (group_count > kMaxIndexGroups) return BadPath(path, "index too large");
  uint64_t index = 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view group = parts[i];
    const bool last = i + 1 == parts.size();
    if (!last) {
      if (!group.starts_with('x')) return BadPath(path, "index group without x");
      group.remove_prefix(1);
    }
    if (group.size() != 3 || !AllDigits(group)) return BadPath(path, "bad index group");
    const uint64_t value =
        static_cast<uint64_t>((group[0] - '0') * 100 + (group[1] - '0') * 10 + (group[2] - '0'));
    if (i == 1 && !last && value == 0) return BadPath(path, "leading zero index group");
    if (index > (UINT64_MAX - value) / 1000) return BadPath(path, "index too large");
    index = index * 1000 + value;
  }
  tile.index = index;

  // Every rule above aims at one spelling per tile; make sure of it.
  if (TilePath(tile) != path) return BadPath(path, "not canonical");
  return tile;
}

TileId TileFor(int level, uint64_t node_index, uint64_t tree_size) {
  const uint64_t n = node_index / kTileWidth;
  const uint64_t nodes = Shr(tree_size, kTileHeight * level);
  const uint64_t width = std::min<uint64_t>(kTileWidth, nodes - n * kTileWidth);
  return TileId{level, n, static_cast<int>(width)};
}

std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size) {
  std::vector<TileId> tiles;
  for (int level = 0; Shr(new_size, kTileHeight * level) > 0; ++level) {
    const uint64_t new_nodes = Shr(new_size, kTileHeight * level);
    const uint64_t old_nodes = Shr(old_size, kTileHeight * level);
    const uint64_t new_full = new_nodes / kTileWidth;
    for (uint64_t n = old_nodes / kTileWidth; n < new_full; ++n) {
      tiles.push_back(TileId{level, n, kTileWidth});
    }
    const int width = static_cast<int>(new_nodes % kTileWidth);
    if (width > 0 && new_nodes != old_nodes) tiles.push_back(TileId{level, new_full, width});
  }
  return tiles;
}

std::string EncodeTile(std::span<const Hash> hashes) {
  std::string data(hashes.size() * kHashSize, '\0');
  if (!hashes.empty()) std::memcpy(data.data(), hashes.data(), data.size());
  return data;
}

Result<std::vector<Hash>> DecodeTile(std::string_view data, int width) {
  if (width < 1 || width > kTileWidth) return Error{fmt::format("tile: bad width {}", width)};
  if (data.size() % kHashSize != 0) return Error{"tile: not a whole number of hashes"};
  const size_t count = data.size() / kHashSize;
  if (count > static_cast<size_t>(kTileWidth)) return Error{"tile: more than 256 hashes"};
  if (count < static_cast<size_t>(width)) {
    return Error{fmt::format("tile: {} hashes, want {}", count, width)};
  }
  std::vector<Hash> hashes(static_cast<size_t>(width));
  std::memcpy(hashes.data(), data.data(), hashes.size() * kHashSize);
  return hashes;
}

void AppendBundleEntry(std::string* bundle, std::string_view entry) {
  bundle->push_back(static_cast<char>(entry.size() >> 8));
  bundle->push_back(static_cast<char>(entry.size() & 0xff));
  bundle->append(entry);
}

Result<std::vector<std::string_view>> ParseEntryBundle(std::string_view bundle, int width) {
  if (width < 1 || width > kTileWidth) {
    return Error{fmt::format("entry bundle: bad width {}", width)};
  }
  std::vector<std::string_view> entries;
  size_t pos = 0;
  while (pos < bundle.size()) {
    if (entries.size() == static_cast<size_t>(kTileWidth)) {
      return Error{"entry bundle: more than 256 entries"};
    }
    if (bundle.size() - pos < 2) return Error{"entry bundle: truncated length"};
    const size_t size = static_cast<size_t>(static_cast<uint8_t>(bundle[pos])) << 8 |
                        static_cast<uint8_t>(bundle[pos + 1]);
    pos += 2;
    if (bundle.size() - pos < size) return Error{"entry bundle: truncated entry"};
    entries.push_back(bundle.substr(pos, size));
    pos += size;
  }
  if (entries.size() < static_cast<size_t>(width)) {
    return Error{fmt::format("entry bundle: {} entries, want {}", entries.size(), width)};
  }
  entries.resize(static_cast<size_t>(width));
  return entries;
}

void MemoryTileStore::Put(const TileId& tile, std::string data) {
  auto it = tiles_.find({tile.level, tile.index});
  if (it != tiles_.end() && it->second.first >= tile.width) return;
  tiles_[{tile.level, tile.index}] = {tile.width, std::move(data)};
}

Result<std::string> MemoryTileStore::ReadTile(const TileId& tile) {
  auto it = tiles_.find({tile.level, tile.index});
  if (it == tiles_.end() || it->second.first < tile.width) {
    return Error{fmt::format("tile {} not stored", TilePath(tile))};
  }
  return it->second.second;
}

Result<Hash> TileHashReader::ReadHash(int level, uint64_t index) {
  if (level < 0 || level > kMaxTileLevel || index >= Shr(tree_size_, level)) {
    return Error{fmt::format("node ({}, {}) is not complete in a tree of size {}", level, index,
                             tree_size_)};
  }
  const int tile_level = level / kTileHeight;
  const int height = level % kTileHeight;  // of the node above the tile's hashes
  const uint64_t first = index << height;  // its first hash, numbered along the tile level
  const TileId tile = TileFor(tile_level, first, tree_size_);
  const bool shared = shared_ && height > 0 && !(tile_level == 0 && tile.is_full());
  if (shared) {
    if (std::optional<Hash> known = shared_->Get(level, index)) return *known;
  }

  auto it = cache_.find({tile_level, tile.index});
  if (it == cache_.end()) {
    Result<std::string> data = tiles_->ReadTile(tile);
    if (!data) return Error{data.error()};
    Result<std::vector<Hash>> hashes = DecodeTile(*data, tile.width);
    if (!hashes) return Error{fmt::format("{}: {}", TilePath(tile), hashes.error())};
    it = cache_.emplace(std::pair{tile_level, tile.index}, std::move(*hashes)).first;
  }
  const size_t offset = first % kTileWidth;
  const Hash hash = RootFromHashes(std::span(it->second).subspan(offset, size_t{1} << height));
  if (shared) shared_->Put(level, index, hash);
  return hash;
}

std::optional<Hash> NodeHashCache::Get(int level, uint64_t index) const {
  MutexLock lock(&mu_);
  auto it = hashes_.find(Key(level, index));
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

void NodeHashCache::Put(int level, uint64_t index, const Hash& hash) {
  MutexLock lock(&mu_);
  if (hashes_.size() >= max_entries_) hashes_.clear();
  hashes_[Key(level, index)] = hash;
}

size_t NodeHashCache::size() const {
  MutexLock lock(&mu_);
  return hashes_.size();
}

}  // namespace tuidang::tlog
