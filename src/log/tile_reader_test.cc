// StoreTileReader over a fake LogStore: the log store is a role small enough to fake in a
// few lines (store/store.h), so the tile reader is tested without a database.
#include "log/tile_reader.h"

#include <map>

#include <gtest/gtest.h>

#include "tlog/hash.h"

namespace tuidang {

namespace {

// Leaves and hash tiles in memory; checkpoints are not needed by the reader.
class FakeLog : public LogStore {
 public:
  std::vector<std::string> leaves;
  std::map<std::pair<int, uint64_t>, StoredTile> tiles;

  Result<uint64_t> LeafCount() override { return leaves.size(); }
  Result<std::vector<std::string>> ReadLeaves(uint64_t begin, uint64_t end) override {
    if (end > leaves.size()) return Error{"leaves are missing"};
    return std::vector<std::string>(leaves.begin() + begin, leaves.begin() + end);
  }
  Result<bool> SaveCheckpoint(const std::vector<StoredTile>&, std::optional<uint64_t>, uint64_t,
                              const std::string&) override {
    return Error{"not used"};
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() override {
    return std::optional<std::pair<uint64_t, std::string>>();
  }
  Result<std::optional<StoredTile>> ReadHashTile(int level, uint64_t index) override {
    auto it = tiles.find({level, index});
    if (it == tiles.end()) return std::optional<StoredTile>();
    return std::optional<StoredTile>(it->second);
  }
  Result<bool> PublishedSizeIn(uint64_t, uint64_t) override { return false; }
  Status SaveServedCheckpoint(uint64_t, const std::string&) override {
    return Status::Fail("not used");
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> ServedCheckpoint() override {
    return std::optional<std::pair<uint64_t, std::string>>();
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> PublicCheckpoint() override {
    return std::optional<std::pair<uint64_t, std::string>>();
  }
};

}  // namespace

TEST(StoreTileReader, BundlesAndLevelZeroTilesComeFromTheLeaves) {
  FakeLog log;
  for (int i = 0; i < 300; ++i) log.leaves.push_back("entry " + std::to_string(i));
  StoreTileReader reader(&log);

  // The second (partial) tile covers leaves 256..299.
  auto level0 = reader.ReadTile(tlog::TileId{0, 1, 44});
  ASSERT_TRUE(level0) << level0.error();
  ASSERT_EQ(level0->size(), 44u * 32);
  tlog::Hash first = tlog::LeafHash("entry 256");
  EXPECT_EQ(level0->substr(0, 32), std::string(reinterpret_cast<const char*>(first.data()), 32));

  auto bundle = reader.ReadTile(tlog::TileId{tlog::kEntryBundleLevel, 0, 2});
  ASSERT_TRUE(bundle) << bundle.error();
  std::string expected;
  tlog::AppendBundleEntry(&expected, "entry 0");
  tlog::AppendBundleEntry(&expected, "entry 1");
  EXPECT_EQ(*bundle, expected);

  // Past the last leaf: the store's error, not a short tile.
  EXPECT_FALSE(reader.ReadTile(tlog::TileId{0, 1, 45}));
}

TEST(StoreTileReader, AFullLevelZeroTileIsReadAsStoredElseFromTheLeaves) {
  FakeLog log;
  for (int i = 0; i < 512; ++i) log.leaves.push_back("entry " + std::to_string(i));
  StoreTileReader reader(&log);
  // Tile 0 as the integrator stores it: that row is read, not the leaves (here they differ,
  // which a real store never has, so that the test can tell which was read).
  log.tiles[{0, 0}] = StoredTile{0, 0, 256, std::string(256 * 32, 's')};
  auto stored = reader.ReadTile(tlog::TileId{0, 0, 256});
  ASSERT_TRUE(stored) << stored.error();
  EXPECT_EQ(*stored, std::string(256 * 32, 's'));
  // Tile 1, integrated before level-0 tiles were stored: hashed from its leaves.
  auto derived = reader.ReadTile(tlog::TileId{0, 1, 256});
  ASSERT_TRUE(derived) << derived.error();
  tlog::Hash last = tlog::LeafHash("entry 511");
  EXPECT_EQ(derived->substr(255 * 32), std::string(reinterpret_cast<const char*>(last.data()), 32));
  // A partial tile is always hashed from the leaves, never a prefix of a stored one.
  auto partial = reader.ReadTile(tlog::TileId{0, 0, 3});
  ASSERT_TRUE(partial) << partial.error();
  tlog::Hash first = tlog::LeafHash("entry 0");
  EXPECT_EQ(partial->substr(0, 32), std::string(reinterpret_cast<const char*>(first.data()), 32));
}

TEST(StoreTileReader, HashTilesAsStoredAndNeverNarrower) {
  FakeLog log;
  log.tiles[{1, 0}] = StoredTile{1, 0, 3, std::string(3 * 32, 'h')};
  StoreTileReader reader(&log);

  auto narrower = reader.ReadTile(tlog::TileId{1, 0, 2});
  ASSERT_TRUE(narrower) << narrower.error();
  EXPECT_EQ(*narrower, std::string(3 * 32, 'h')) << "the widest stored version is handed back";
  EXPECT_TRUE(reader.ReadTile(tlog::TileId{1, 0, 3}));
  auto wider = reader.ReadTile(tlog::TileId{1, 0, 4});
  ASSERT_FALSE(wider);
  EXPECT_NE(wider.error().find("is not stored"), std::string::npos);
  EXPECT_FALSE(reader.ReadTile(tlog::TileId{2, 0, 1})) << "a tile never stored";
}

}  // namespace tuidang
