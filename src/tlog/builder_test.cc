#include "tlog/builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tlog/merkle.h"

namespace tuidang::tlog {
namespace {

std::string Entry(uint64_t i) { return "statement " + std::to_string(i) + std::string(i % 7, '.'); }

std::vector<std::string> Entries(uint64_t begin, uint64_t end) {
  std::vector<std::string> entries;
  for (uint64_t i = begin; i < end; ++i) entries.push_back(Entry(i));
  return entries;
}

bool TileLess(const TileId& a, const TileId& b) {
  return std::tuple(a.level, a.index, a.width) < std::tuple(b.level, b.index, b.width);
}

// What the tiles of a tree must hold, from the whole tree in memory.
std::string ExpectedContent(MemoryTree& tree, const TileId& id) {
  if (id.is_entry_bundle()) {
    std::string bundle;
    for (int i = 0; i < id.width; ++i) AppendBundleEntry(&bundle, Entry(id.index * 256 + i));
    return bundle;
  }
  std::vector<Hash> hashes;
  for (int i = 0; i < id.width; ++i) {
    hashes.push_back(*tree.ReadHash(kTileHeight * id.level, id.index * 256 + i));
  }
  return EncodeTile(hashes);
}

// Appends in batches of the given sizes and checks each result against a MemoryTree.
void CheckBatches(const std::vector<uint64_t>& batches) {
  TreeBuilder builder;
  MemoryTree tree;
  MemoryTileStore store;
  EXPECT_EQ(builder.Root(), EmptyRoot());
  for (uint64_t batch : batches) {
    const uint64_t old_size = builder.size();
    const std::vector<std::string> entries = Entries(old_size, old_size + batch);
    for (const std::string& entry : entries) tree.AppendEntry(entry);
    Result<AppendResult> result = builder.Append(entries);
    ASSERT_TRUE(result.ok()) << result.error();
    ASSERT_EQ(result->tree_size, old_size + batch);
    ASSERT_EQ(builder.size(), old_size + batch);
    ASSERT_EQ(result->root, tree.Root()) << "size " << tree.size();
    ASSERT_EQ(builder.Root(), tree.Root());

    std::vector<TileId> want = NewTiles(old_size, builder.size());
    for (const TileId& id : NewTiles(old_size, builder.size())) {
      if (id.level == 0) want.push_back(TileId{kEntryBundleLevel, id.index, id.width});
    }
    std::vector<TileId> got;
    for (const TileContent& tile : result->tiles) {
      got.push_back(tile.id);
      ASSERT_EQ(tile.data, ExpectedContent(tree, tile.id)) << TilePath(tile.id);
      store.Put(tile.id, tile.data);
    }
    std::sort(want.begin(), want.end(), TileLess);
    std::sort(got.begin(), got.end(), TileLess);
    ASSERT_EQ(got, want) << "appending " << batch << " to " << old_size;
  }

  // The stored tiles serve every complete node and every proof of the final tree.
  TileHashReader reader(&store, tree.size());
  EXPECT_EQ(*TreeRoot(reader, tree.size()), tree.Root());
  for (int level = 0; level < 20; ++level) {
    const uint64_t count = tree.size() >> level;
    for (uint64_t index = 0; index < count; index += 1 + count / 50) {
      Result<Hash> hash = reader.ReadHash(level, index);
      ASSERT_TRUE(hash.ok()) << hash.error();
      EXPECT_EQ(*hash, *tree.ReadHash(level, index)) << level << "/" << index;
    }
    EXPECT_FALSE(reader.ReadHash(level, count).ok());
  }
  for (uint64_t index = 0; index < tree.size(); index += 1 + tree.size() / 40) {
    EXPECT_EQ(*InclusionProof(reader, index, tree.size()),
              *InclusionProof(tree, index, tree.size()));
  }
  for (uint64_t old_size = 1; old_size < tree.size(); old_size += 1 + tree.size() / 30) {
    EXPECT_EQ(*ConsistencyProof(reader, old_size, tree.size()),
              *ConsistencyProof(tree, old_size, tree.size()));
  }
}

TEST(BuilderTest, OneAtATime) { CheckBatches(std::vector<uint64_t>(600, 1)); }

TEST(BuilderTest, VariousBatches) {
  CheckBatches({7, 249, 1, 255, 256, 257, 0, 1000, 65536 - 2025, 1, 3000});
}

TEST(BuilderTest, OneBigBatch) { CheckBatches({70000}); }

TEST(BuilderTest, EmptyAppendChangesNothing) {
  TreeBuilder builder;
  ASSERT_TRUE(builder.Append(Entries(0, 300)).ok());
  const Hash root = builder.Root();
  Result<AppendResult> result = builder.Append(std::vector<std::string>{});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->tiles.empty());
  EXPECT_EQ(result->root, root);
  EXPECT_EQ(result->tree_size, 300u);
}

TEST(BuilderTest, RejectsLongEntriesAtomically) {
  TreeBuilder builder;
  std::vector<std::string> entries = Entries(0, 3);
  entries.push_back(std::string(kMaxEntrySize + 1, 'x'));
  EXPECT_FALSE(builder.Append(entries).ok());
  EXPECT_EQ(builder.size(), 0u);
  EXPECT_EQ(builder.Root(), EmptyRoot());
  entries.back().pop_back();  // exactly the limit
  EXPECT_TRUE(builder.Append(entries).ok());
  EXPECT_EQ(builder.size(), 4u);
}

TEST(BuilderTest, AcceptsStringViews) {
  TreeBuilder a, b;
  const std::vector<std::string> entries = Entries(0, 10);
  const std::vector<std::string_view> views(entries.begin(), entries.end());
  EXPECT_EQ(a.Append(entries)->root, b.Append(views)->root);
}

TEST(BuilderTest, ResumesFromStoredTiles) {
  for (uint64_t size : {0u, 1u, 255u, 256u, 257u, 65535u, 65536u, 70000u}) {
    TreeBuilder original;
    MemoryTileStore store;
    const std::vector<TileContent> tiles = original.Append(Entries(0, size))->tiles;
    for (const TileContent& tile : tiles) store.Put(tile.id, tile.data);
    Result<TreeBuilder> resumed = TreeBuilder::Resume(store, size);
    ASSERT_TRUE(resumed.ok()) << size << ": " << resumed.error();
    EXPECT_EQ(resumed->size(), size);
    EXPECT_EQ(resumed->Root(), original.Root()) << size;

    const std::vector<std::string> more = Entries(size, size + 300);
    Result<AppendResult> a = original.Append(more);
    Result<AppendResult> b = resumed->Append(more);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->root, b->root) << size;
    ASSERT_EQ(a->tiles.size(), b->tiles.size()) << size;
    for (size_t i = 0; i < a->tiles.size(); ++i) {
      EXPECT_EQ(a->tiles[i].id, b->tiles[i].id);
      EXPECT_EQ(a->tiles[i].data, b->tiles[i].data) << TilePath(a->tiles[i].id);
    }
  }
}

TEST(BuilderTest, ResumeRejectsMissingOrInconsistentTiles) {
  TreeBuilder builder;
  std::vector<TileContent> tiles = builder.Append(Entries(0, 70000))->tiles;
  auto store_without = [&](const TileId& skip) {
    MemoryTileStore store;
    for (const TileContent& tile : tiles) {
      if (!(tile.id == skip)) store.Put(tile.id, tile.data);
    }
    return store;
  };
  for (const TileId& partial : {TileId{0, 273, 112}, TileId{1, 1, 17}, TileId{2, 0, 1},
                                TileId{kEntryBundleLevel, 273, 112}}) {
    MemoryTileStore store = store_without(partial);
    EXPECT_FALSE(TreeBuilder::Resume(store, 70000).ok()) << TilePath(partial);
  }

  // An entry bundle that does not hash to its tile.
  MemoryTileStore store;
  for (const TileContent& tile : tiles) {
    std::string data = tile.data;
    if (tile.id == TileId{kEntryBundleLevel, 273, 112}) data.back() ^= 1;
    store.Put(tile.id, data);
  }
  EXPECT_FALSE(TreeBuilder::Resume(store, 70000).ok());

  // A tile too short for its width.
  MemoryTileStore short_store;
  for (const TileContent& tile : tiles) {
    std::string data = tile.data;
    if (tile.id == TileId{1, 1, 17}) data.resize(16 * kHashSize);
    short_store.Put(tile.id, data);
  }
  EXPECT_FALSE(TreeBuilder::Resume(short_store, 70000).ok());
}

TEST(BuilderTest, ASharedNodeCacheKeepsTheNodesAboveLevelZeroAndTheRightEdgeOnly) {
  constexpr uint64_t kSize = 70000;  // a full level-1 tile and partial tiles at levels 0-2
  TreeBuilder builder;
  MemoryTileStore store;
  const std::vector<TileContent> tiles = builder.Append(Entries(0, kSize))->tiles;
  for (const TileContent& tile : tiles) store.Put(tile.id, tile.data);
  MemoryTree tree;
  for (const std::string& e : Entries(0, kSize)) tree.AppendEntry(e);
  NodeHashCache shared;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reads what the first kept
    for (uint64_t index : {uint64_t{10}, uint64_t{40000}, kSize - 1, uint64_t{65535}}) {
      TileHashReader reader(&store, kSize, &shared);  // one reader per proof, as served
      EXPECT_EQ(*InclusionProof(reader, index, kSize), *InclusionProof(tree, index, kSize))
          << "pass " << pass << ", leaf " << index;
    }
  }
  // Leaf 10's sibling of 8 leaves lies in a full level-0 tile: one leaf's, not kept.
  EXPECT_FALSE(shared.Get(3, 0).has_value());
  // The half of level-1 tile 0 that leaf 10's proof climbs past is every proof's: kept.
  ASSERT_TRUE(shared.Get(15, 1).has_value());
  EXPECT_EQ(*shared.Get(15, 1), *tree.ReadHash(15, 1));
  // The right edge: the 64 leaves 69888..69951 of the partial level-0 tile 273.
  ASSERT_TRUE(shared.Get(6, 69888 >> 6).has_value());
  EXPECT_EQ(*shared.Get(6, 69888 >> 6), *tree.ReadHash(6, 69888 >> 6));

  NodeHashCache small(3);
  TileHashReader reader(&store, kSize, &small);
  EXPECT_EQ(*InclusionProof(reader, 40000, kSize), *InclusionProof(tree, 40000, kSize));
  EXPECT_LE(small.size(), 3u) << "bounded";
}

TEST(BuilderTest, TileHashReaderRejectsMalformedTiles) {
  TreeBuilder builder;
  MemoryTileStore store;
  const std::vector<TileContent> tiles = builder.Append(Entries(0, 1000))->tiles;
  for (const TileContent& tile : tiles) {
    std::string data = tile.data;
    if (tile.id == TileId{0, 1, 256}) data.pop_back();
    store.Put(tile.id, data);
  }
  TileHashReader reader(&store, 1000);
  EXPECT_TRUE(reader.ReadHash(0, 10).ok());
  EXPECT_FALSE(reader.ReadHash(0, 300).ok());  // in the damaged tile
  EXPECT_FALSE(reader.ReadHash(1, 150).ok());
  EXPECT_FALSE(reader.ReadHash(0, 1000).ok());  // not in the tree
  EXPECT_FALSE(reader.ReadHash(10, 0).ok());
  EXPECT_FALSE(reader.ReadHash(-1, 0).ok());
  TileHashReader bigger(&store, 2000);  // tiles it needs are not stored
  EXPECT_FALSE(bigger.ReadHash(0, 1500).ok());
}

}  // namespace
}  // namespace tuidang::tlog
