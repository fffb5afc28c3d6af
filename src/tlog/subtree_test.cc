#include "tlog/subtree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tuidang::tlog {
namespace {

MemoryTree TreeOf(uint64_t size) {
  MemoryTree tree;
  for (uint64_t i = 0; i < size; ++i) tree.AppendEntry("entry " + std::to_string(i));
  return tree;
}

// MTH(D[start:end]) computed from scratch: the subtree's own tree.
Hash SubtreeHash(uint64_t start, uint64_t end) {
  MemoryTree sub;
  for (uint64_t i = start; i < end; ++i) sub.AppendEntry("entry " + std::to_string(i));
  return sub.Root();
}

TEST(SubtreeTest, ValidSubtrees) {
  EXPECT_TRUE(IsValidSubtree(0, 13));
  EXPECT_TRUE(IsValidSubtree(4, 8));
  EXPECT_TRUE(IsValidSubtree(8, 13));  // BIT_CEIL(5) = 8 divides 8
  EXPECT_TRUE(IsValidSubtree(256, 300));
  EXPECT_FALSE(IsValidSubtree(4, 9));  // BIT_CEIL(5) = 8 does not divide 4
  EXPECT_FALSE(IsValidSubtree(5, 5));
  EXPECT_FALSE(IsValidSubtree(6, 5));
  EXPECT_TRUE(IsValidSubtree(0, UINT64_MAX));
  EXPECT_FALSE(IsValidSubtree(1, UINT64_MAX));
}

// The draft's two examples, in a tree of size 14.
TEST(SubtreeTest, DraftExamples) {
  MemoryTree tree = TreeOf(14);
  auto proof = SubtreeConsistencyProof(tree, 4, 8, 14);
  ASSERT_TRUE(proof.ok()) << proof.error();
  EXPECT_EQ(*proof, (std::vector<Hash>{SubtreeHash(0, 4), SubtreeHash(8, 14)}));

  proof = SubtreeConsistencyProof(tree, 8, 13, 14);
  ASSERT_TRUE(proof.ok()) << proof.error();
  EXPECT_EQ(*proof, (std::vector<Hash>{SubtreeHash(12, 13), SubtreeHash(13, 14), SubtreeHash(8, 12),
                                       SubtreeHash(0, 8)}));
}

// Every valid subtree of every tree up to 40 entries: the proof verifies; from 0 it is the
// RFC 9162 consistency proof, for one entry the inclusion proof; any tampering fails.
TEST(SubtreeTest, AllSmallTreesVerifyAndMatchRfc9162) {
  for (uint64_t n = 1; n <= 40; ++n) {
    MemoryTree tree = TreeOf(n);
    const Hash root = tree.Root();
    for (uint64_t start = 0; start < n; ++start) {
      for (uint64_t end = start + 1; end <= n; ++end) {
        if (!IsValidSubtree(start, end)) {
          EXPECT_FALSE(SubtreeConsistencyProof(tree, start, end, n).ok());
          continue;
        }
        auto proof = SubtreeConsistencyProof(tree, start, end, n);
        ASSERT_TRUE(proof.ok()) << proof.error();
        const Hash hash = SubtreeHash(start, end);
        ASSERT_TRUE(VerifySubtreeConsistency(start, end, n, *proof, hash, root).ok())
            << start << " " << end << " " << n;
        if (start == 0 && end < n) {
          EXPECT_EQ(*proof, *ConsistencyProof(tree, end, n));
        }
        if (end == start + 1) {
          EXPECT_EQ(*proof, *InclusionProof(tree, start, n));
        }

        Hash other = hash;
        other[0] ^= 1;
        EXPECT_FALSE(VerifySubtreeConsistency(start, end, n, *proof, other, root).ok());
        EXPECT_FALSE(VerifySubtreeConsistency(start, end, n, *proof, hash, other).ok());
        for (size_t i = 0; i < proof->size(); ++i) {
          std::vector<Hash> bad = *proof;
          bad[i][5] ^= 0x40;
          EXPECT_FALSE(VerifySubtreeConsistency(start, end, n, bad, hash, root).ok());
        }
        std::vector<Hash> longer = *proof;
        longer.push_back(root);
        EXPECT_FALSE(VerifySubtreeConsistency(start, end, n, longer, hash, root).ok());
        if (!proof->empty()) {
          std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
          EXPECT_FALSE(VerifySubtreeConsistency(start, end, n, shorter, hash, root).ok());
        }
      }
    }
  }
}

TEST(SubtreeTest, RefusesSubtreesBeyondTheTree) {
  MemoryTree tree = TreeOf(10);
  EXPECT_FALSE(SubtreeConsistencyProof(tree, 8, 11, 10).ok());
  EXPECT_FALSE(VerifySubtreeConsistency(8, 11, 10, {}, tree.Root(), tree.Root()).ok());
  EXPECT_FALSE(VerifySubtreeConsistency(4, 9, 10, {}, tree.Root(), tree.Root()).ok());
}

}  // namespace
}  // namespace tuidang::tlog
