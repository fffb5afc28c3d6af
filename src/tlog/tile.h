// C2SP tlog-tiles: the tree served as static "tiles" of 256 hashes, and the entries as
// "entry bundles", at paths like tile/0/x001/x234/067.p/5 (https://c2sp.org/tlog-tiles).
//
// Tile (L, N) holds the hashes of the nodes at tree level 8L with indexes N*256 .. N*256+255:
// at level 0 the leaf hashes, above that the roots of full tiles of the level below. A tile
// of a tree of size S has min(256, floor(S / 256^L) - N*256) hashes; fewer than 256 makes it
// "partial" and its path gets a ".p/<W>" suffix. A partial tile is a prefix of the full tile
// it grows into. Entry bundle N holds the entries behind level-0 tile N.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/merkle.h"

namespace tuidang::tlog {

inline constexpr int kTileHeight = 8;           // tree levels per tile level
inline constexpr int kTileWidth = 256;          // hashes in a full tile: 2^kTileHeight
inline constexpr int kMaxTileLevel = 63;        // the spec's bound on <L> in paths
inline constexpr int kEntryBundleLevel = -1;    // TileId::level of an entry bundle
inline constexpr size_t kMaxEntrySize = 65535;  // bundles prefix entries with a uint16 length

struct TileId {
  int level = 0;           // 0..kMaxTileLevel, or kEntryBundleLevel
  uint64_t index = 0;      // N
  int width = kTileWidth;  // 1..kTileWidth; kTileWidth is a full tile (no ".p/" suffix)

  bool is_entry_bundle() const { return level == kEntryBundleLevel; }
  bool is_full() const { return width == kTileWidth; }
  bool operator==(const TileId&) const = default;
};

// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", relative to the log's prefix, with N
// in 3-digit groups: 1234067 is x001/x234/067. REQUIRES: the fields are in range.
std::string TilePath(const TileId& tile);

// Inverse of TilePath, strict: only the one canonical spelling of each tile is accepted (no
// leading zeros in L, W or the first group of N; no "x000" first group; W in 1..255; N within
// 64 bits). The path starts at "tile/" (the log prefix already removed).
Result<TileId> ParseTilePath(std::string_view path);

// The hash tile at `level` holding the level-8L node number `node_index`, sized for a tree of
// `tree_size` leaves. REQUIRES: that node is complete in the tree.
TileId TileFor(int level, uint64_t node_index, uint64_t tree_size);

// Every hash tile (levels 0 and up) that a tree of `new_size` serves and a tree of `old_size`
// did not: the full tiles completed in between and the partial tiles of `new_size` that
// differ from those of `old_size`, lowest level first, full before partial. Entry bundles
// follow level-0 tiles one for one (same N and width). REQUIRES: old_size <= new_size. The
// list has about (new_size - old_size) / 255 elements.
std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size);

// Encodes hashes as tile contents: their concatenation.
std::string EncodeTile(std::span<const Hash> hashes);
// Splits tile contents into exactly `width` hashes. Fails if `data` is shorter, or is not a
// whole number of hashes, or holds more than kTileWidth hashes. Extra hashes past `width` are
// accepted and dropped: a store may hand back the grown version of a partial tile.
Result<std::vector<Hash>> DecodeTile(std::string_view data, int width);

// Appends one entry to a bundle: its length as big-endian uint16, then its bytes.
// REQUIRES: entry.size() <= kMaxEntrySize.
void AppendBundleEntry(std::string* bundle, std::string_view entry);
// Splits a bundle into exactly `width` entries (views into `bundle`). Fails on a truncated
// length or entry, or on fewer entries than `width`; trailing entries past `width` are
// accepted and dropped (as DecodeTile), but not trailing bytes that are not whole entries,
// and never more than kTileWidth entries.
Result<std::vector<std::string_view>> ParseEntryBundle(std::string_view bundle, int width);

// Where the tiles are stored: a database, a folder, or a remote log over HTTP.
class TileReader {
 public:
  virtual ~TileReader() = default;

  // Returns the stored contents of `tile` (an entry bundle when tile.is_entry_bundle()), or an
  // error if it is not stored. A wider version of the same tile may be returned instead: a
  // tile only grows, and its prefix never changes.
  virtual Result<std::string> ReadTile(const TileId& tile) = 0;
};

// Tiles in memory, keyed by (level, index), keeping the widest version of each. For tests
// and for building a log in memory. Not thread-safe.
class MemoryTileStore : public TileReader {
 public:
  // Stores `data` as `tile` unless a wider version is already stored.
  void Put(const TileId& tile, std::string data);
  Result<std::string> ReadTile(const TileId& tile) override;
  size_t size() const { return tiles_.size(); }

 private:
  std::map<std::pair<int, uint64_t>, std::pair<int, std::string>> tiles_;  // -> (width, data)
};

// Hashes of complete nodes that TileHashReader computed, shared by the readers of many
// proofs: a complete node's hash never changes, so nothing is invalidated. Bounded: when
// full it starts over. Thread-safe.
class NodeHashCache {
 public:
  explicit NodeHashCache(size_t max_entries = 65536) : max_entries_(max_entries) {}
  std::optional<Hash> Get(int level, uint64_t index) const EXCLUDES(mu_);
  void Put(int level, uint64_t index, const Hash& hash) EXCLUDES(mu_);
  size_t size() const EXCLUDES(mu_);

 private:
  static uint64_t Key(int level, uint64_t index) {
    return (static_cast<uint64_t>(level) << 57) ^ index;  // an index below 2^57
  }
  const size_t max_entries_;
  mutable Mutex mu_;
  std::unordered_map<uint64_t, Hash> hashes_ GUARDED_BY(mu_);
};

// Reads the complete nodes of a tree of `tree_size` leaves from its tiles: a node at a level
// that is a multiple of 8 is read from a tile directly, any other is hashed from up to 128
// hashes of one tile. Tiles read are cached for the reader's lifetime (a proof touches about
// two per tile level), so make one reader per request. Not thread-safe; `tiles` (and
// `shared`) must outlive the reader.
//
// With `shared`, the hashed nodes of every tile but a full level-0 one are kept there and
// read from there: the tiles above level 0 and the partial tiles of the right edge are read
// by every proof, while a full level-0 tile is one leaf's (random look-ups would only cycle
// the cache through them).
class TileHashReader : public HashReader {
 public:
  TileHashReader(TileReader* tiles, uint64_t tree_size, NodeHashCache* shared = nullptr)
      : tiles_(tiles), tree_size_(tree_size), shared_(shared) {}

  // Fails if the node is not complete in the tree, or its tile cannot be read or is malformed.
  Result<Hash> ReadHash(int level, uint64_t index) override;

 private:
  TileReader* tiles_;
  uint64_t tree_size_;
  NodeHashCache* shared_;
  std::map<std::pair<int, uint64_t>, std::vector<Hash>> cache_;  // (tile level, N) -> hashes
};

}  // namespace tuidang::tlog
