#include "tlog/tile.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tuidang::tlog {
namespace {

TEST(TileTest, PathsFromTheSpec) {
  // c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
  EXPECT_EQ(TilePath({0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({kEntryBundleLevel, 1234067, 256}), "tile/entries/x001/x234/067");
  EXPECT_EQ(TilePath({2, 1234067, 5}), "tile/2/x001/x234/067.p/5");
  EXPECT_EQ(TilePath({kEntryBundleLevel, 0, 112}), "tile/entries/000.p/112");
  EXPECT_EQ(TilePath({0, 0, 256}), "tile/0/000");
  EXPECT_EQ(TilePath({0, 999, 1}), "tile/0/999.p/1");
  EXPECT_EQ(TilePath({0, 1000, 256}), "tile/0/x001/000");
  EXPECT_EQ(TilePath({63, 1000000, 255}), "tile/63/x001/x000/000.p/255");
  EXPECT_EQ(TilePath({0, UINT64_MAX, 256}), "tile/0/x018/x446/x744/x073/x709/x551/615");
}

TEST(TileTest, ParseRoundTrips) {
  const TileId kTiles[] = {
      {0, 1234067, 256},    {kEntryBundleLevel, 1234067, 256},
      {2, 1234067, 5},      {kEntryBundleLevel, 0, 112},
      {0, 0, 256},          {0, 999, 1},
      {0, 1000, 256},       {63, 1000000, 255},
      {0, UINT64_MAX, 256}, {10, 1001001, 128},
  };
  for (const TileId& tile : kTiles) {
    Result<TileId> parsed = ParseTilePath(TilePath(tile));
    ASSERT_TRUE(parsed.ok()) << TilePath(tile) << ": " << parsed.error();
    EXPECT_EQ(*parsed, tile) << TilePath(tile);
  }
}

TEST(TileTest, ParseRejectsNonCanonicalPaths) {
  for (const char* path : {
           "",
           "tile",
           "tile/",
           "tile/0",
           "tile/0/",
           "/tile/0/000",
           "tiles/0/000",
           "tile//000",
           "tile/00/000",  // leading zero in L
           "tile/01/000",
           "tile/64/000",  // L above 63
           "tile/-1/000",
           "tile/+1/000",
           "tile/1 /000",
           "tile/data/000",  // Go sumdb's name, not C2SP's
           "tile/Entries/000",
           "tile/0/00",  // groups are three digits
           "tile/0/0000",
           "tile/0/1",
           "tile/0/abc",
           "tile/0/-01",
           "tile/0/x001",     // the last group has no x
           "tile/0/001/000",  // the others do
           "tile/0/x1/000",
           "tile/0/x000/001",  // leading zero group
           "tile/0/x000/x001/000",
           "tile/0/000/",
           "tile/0/000.p",
           "tile/0/000.p/",
           "tile/0/000.p/0",  // W in 1..255
           "tile/0/000.p/256",
           "tile/0/000.p/01",
           "tile/0/000.p/1000",
           "tile/0/000.p/-5",
           "tile/0/000.p/5/6",
           "tile/0/000.P/5",
           "tile/0/000.p/5/",
           "tile/0/x001.p/5/000",
           "tile/entries/000.p/0",
           "tile/0/x018/x446/x744/x073/x709/x551/616",       // 2^64
           "tile/0/x099/x999/x999/x999/x999/x999/x999/999",  // 8 groups
           "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
       }) {
    EXPECT_FALSE(ParseTilePath(path).ok()) << '"' << path << '"';
  }
}

TEST(TileTest, NewTilesOfTheSpecExample) {
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
  // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
  // partial level 2 tile of width 1."
  std::vector<TileId> tiles = NewTiles(0, 70000);
  ASSERT_EQ(tiles.size(), 277u);
  for (uint64_t n = 0; n < 273; ++n) EXPECT_EQ(tiles[n], (TileId{0, n, 256}));
  EXPECT_EQ(tiles[273], (TileId{0, 273, 112}));
  EXPECT_EQ(tiles[274], (TileId{1, 0, 256}));
  EXPECT_EQ(tiles[275], (TileId{1, 1, 17}));
  EXPECT_EQ(tiles[276], (TileId{2, 0, 1}));

  // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
  // of width 1."
  EXPECT_EQ(NewTiles(0, 256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
}

TEST(TileTest, NewTilesBetweenSizes) {
  EXPECT_TRUE(NewTiles(0, 0).empty());
  EXPECT_TRUE(NewTiles(70000, 70000).empty());
  EXPECT_EQ(NewTiles(0, 1), (std::vector<TileId>{{0, 0, 1}}));
  EXPECT_EQ(NewTiles(300, 310), (std::vector<TileId>{{0, 1, 54}}));
  EXPECT_EQ(NewTiles(255, 256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
  EXPECT_EQ(NewTiles(256, 257), (std::vector<TileId>{{0, 1, 1}}));
  EXPECT_EQ(NewTiles(511, 513), (std::vector<TileId>{{0, 1, 256}, {0, 2, 1}, {1, 0, 2}}));
  EXPECT_EQ(NewTiles(65535, 65536), (std::vector<TileId>{{0, 255, 256}, {1, 0, 256}, {2, 0, 1}}));

  // The union of the steps is the whole, less superseded partial tiles.
  std::vector<TileId> all;
  for (uint64_t size = 0; size < 70000; size += 333) {
    for (const TileId& tile : NewTiles(size, std::min<uint64_t>(size + 333, 70000))) {
      if (tile.is_full()) all.push_back(tile);
    }
  }
  std::vector<TileId> full;
  for (const TileId& tile : NewTiles(0, 70000)) {
    if (tile.is_full()) full.push_back(tile);
  }
  std::sort(all.begin(), all.end(), [](const TileId& a, const TileId& b) {
    return std::pair(a.level, a.index) < std::pair(b.level, b.index);
  });
  EXPECT_EQ(all, full);

  // Near the largest tree: a full tile completes at each of levels 0..6, and level 7 gets its
  // 255th hash; shifts by 64 bits must not wrap around.
  std::vector<TileId> top = NewTiles(0xFEFFFFFFFFFFFFFF, 0xFF00000000000000);
  ASSERT_EQ(top.size(), 8u);
  EXPECT_EQ(top.front(), (TileId{0, 0xFEFFFFFFFFFFFF, 256}));
  EXPECT_EQ(top[6], (TileId{6, 0xFE, 256}));
  EXPECT_EQ(top.back(), (TileId{7, 0, 255}));
}

TEST(TileTest, TileForNode) {
  EXPECT_EQ(TileFor(0, 5, 70000), (TileId{0, 0, 256}));
  EXPECT_EQ(TileFor(0, 69999, 70000), (TileId{0, 273, 112}));
  EXPECT_EQ(TileFor(1, 272, 70000), (TileId{1, 1, 17}));
  EXPECT_EQ(TileFor(2, 0, 70000), (TileId{2, 0, 1}));
}

TEST(TileTest, EncodeAndDecodeTiles) {
  std::vector<Hash> hashes;
  for (int i = 0; i < 5; ++i) hashes.push_back(LeafHash(std::to_string(i)));
  const std::string data = EncodeTile(hashes);
  ASSERT_EQ(data.size(), 5 * kHashSize);
  EXPECT_EQ(data.substr(kHashSize, kHashSize), std::string(AsBytes(hashes[1])));
  EXPECT_EQ(*DecodeTile(data, 5), hashes);
  EXPECT_EQ(*DecodeTile(data, 3), std::vector<Hash>(hashes.begin(), hashes.begin() + 3));
  EXPECT_FALSE(DecodeTile(data, 6).ok());
  EXPECT_FALSE(DecodeTile(data.substr(1), 4).ok());
  EXPECT_FALSE(DecodeTile(data + "x", 5).ok());
  EXPECT_FALSE(DecodeTile(data, 0).ok());
  EXPECT_FALSE(DecodeTile(data, 257).ok());
  EXPECT_FALSE(DecodeTile(std::string(257 * kHashSize, 'a'), 256).ok());
  EXPECT_TRUE(DecodeTile(std::string(256 * kHashSize, 'a'), 256).ok());
}

TEST(TileTest, EntryBundles) {
  const std::vector<std::string> entries = {"", "a", std::string(300, 'x'),
                                            std::string(kMaxEntrySize, '\0')};
  std::string bundle;
  for (const std::string& entry : entries) AppendBundleEntry(&bundle, entry);
  EXPECT_EQ(bundle.substr(0, 5), std::string("\x00\x00\x00\x01"
                                             "a",
                                             5));
  EXPECT_EQ(bundle.substr(5, 2), "\x01\x2c");  // 300
  EXPECT_EQ(bundle.size(), 2u * 4 + 1 + 300 + kMaxEntrySize);

  Result<std::vector<std::string_view>> parsed = ParseEntryBundle(bundle, 4);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(std::vector<std::string>(parsed->begin(), parsed->end()), entries);
  EXPECT_EQ(ParseEntryBundle(bundle, 2)->size(), 2u);

  EXPECT_FALSE(ParseEntryBundle(bundle, 5).ok());
  EXPECT_FALSE(ParseEntryBundle(bundle.substr(0, bundle.size() - 1), 4).ok());
  EXPECT_FALSE(ParseEntryBundle(bundle + std::string(1, '\0'), 4).ok());  // half a length
  EXPECT_FALSE(ParseEntryBundle(bundle + std::string("\x00\x02z", 3), 4).ok());
  EXPECT_FALSE(ParseEntryBundle("", 1).ok());
  EXPECT_FALSE(ParseEntryBundle(bundle, 0).ok());

  std::string full;
  for (int i = 0; i < 256; ++i) AppendBundleEntry(&full, std::to_string(i));
  EXPECT_EQ(ParseEntryBundle(full, 256)->back(), "255");
  AppendBundleEntry(&full, "one too many");
  EXPECT_FALSE(ParseEntryBundle(full, 256).ok());
}

TEST(TileTest, MemoryTileStoreKeepsTheWidest) {
  MemoryTileStore store;
  store.Put({0, 1, 3}, "three");
  store.Put({0, 1, 5}, "five");
  store.Put({0, 1, 4}, "four");
  EXPECT_EQ(*store.ReadTile({0, 1, 3}), "five");
  EXPECT_EQ(*store.ReadTile({0, 1, 5}), "five");
  EXPECT_FALSE(store.ReadTile({0, 1, 6}).ok());
  EXPECT_FALSE(store.ReadTile({0, 2, 1}).ok());
  EXPECT_FALSE(store.ReadTile({kEntryBundleLevel, 1, 1}).ok());
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace tuidang::tlog
