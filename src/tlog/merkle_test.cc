#include "tlog/merkle.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "testing/rfc6962_vectors.h"

namespace tuidang::tlog {
namespace {

#include "tlog/testdata/merkle_probes.inc"

Hash H(std::string_view hex) { return *HashFromHex(hex); }

using test::ReferenceLeaves;

MemoryTree ReferenceTree() {
  MemoryTree tree;
  for (const std::string& leaf : ReferenceLeaves()) tree.AppendEntry(leaf);
  return tree;
}

// RFC 6962 section 2.1 definitions, recursive and literal, to cross-check the iterative code.
uint64_t Split(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash RefRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = Split(leaves.size());
  return NodeHash(RefRoot(leaves.first(k)), RefRoot(leaves.subspan(k)));
}

std::vector<Hash> RefPath(uint64_t m, std::span<const Hash> leaves) {
  if (leaves.size() <= 1) return {};
  const uint64_t k = Split(leaves.size());
  std::vector<Hash> path;
  if (m < k) {
    path = RefPath(m, leaves.first(k));
    path.push_back(RefRoot(leaves.subspan(k)));
  } else {
    path = RefPath(m - k, leaves.subspan(k));
    path.push_back(RefRoot(leaves.first(k)));
  }
  return path;
}

std::vector<Hash> RefSubproof(uint64_t m, std::span<const Hash> leaves, bool b) {
  const uint64_t n = leaves.size();
  if (m == n) {
    if (b) return {};
    return {RefRoot(leaves)};
  }
  const uint64_t k = Split(n);
  std::vector<Hash> proof;
  if (m <= k) {
    proof = RefSubproof(m, leaves.first(k), b);
    proof.push_back(RefRoot(leaves.subspan(k)));
  } else {
    proof = RefSubproof(m - k, leaves.subspan(k), false);
    proof.push_back(RefRoot(leaves.first(k)));
  }
  return proof;
}

std::vector<Hash> RandomLeafHashes(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Hash> hashes;
  for (size_t i = 0; i < count; ++i) hashes.push_back(LeafHash(std::to_string(random())));
  return hashes;
}

TEST(MerkleTest, MemoryTreeRootsAndNodesMatchReference) {
  // transparency-dev/merkle testonly/constants.go: RootHashes and NodeHashes.
  const char* const* kRoots = test::kReferenceRoots;
  MemoryTree tree;
  EXPECT_EQ(HashToHex(tree.Root()), kRoots[0]);
  for (const std::string& leaf : ReferenceLeaves()) {
    tree.AppendEntry(leaf);
    EXPECT_EQ(HashToHex(tree.Root()), kRoots[tree.size()]) << "size " << tree.size();
    EXPECT_EQ(HashToHex(*TreeRoot(tree, tree.size())), kRoots[tree.size()]);
  }
  for (uint64_t size = 0; size <= 8; ++size) {
    EXPECT_EQ(HashToHex(*TreeRoot(tree, size)), kRoots[size]) << "size " << size;
  }

  const std::vector<std::vector<const char*>> kNodes = {
      {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
       "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
       "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
       "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
       "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
       "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
       "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
      {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
       "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
      {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
      {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
  };
  for (size_t level = 0; level < kNodes.size(); ++level) {
    for (size_t index = 0; index < kNodes[level].size(); ++index) {
      EXPECT_EQ(HashToHex(*tree.ReadHash(static_cast<int>(level), index)), kNodes[level][index]);
    }
  }
  EXPECT_FALSE(tree.ReadHash(0, 8).ok());
  EXPECT_FALSE(tree.ReadHash(4, 0).ok());
}

struct ProofVector {
  uint64_t a, b;  // inclusion: leaf index, size; consistency: old size, new size
  std::vector<const char*> proof;
};

TEST(MerkleTest, InclusionProofVectors) {
  // transparency-dev/merkle cmd/proofgen (leaf indexes there are 1-based).
  const ProofVector kVectors[] = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  MemoryTree tree = ReferenceTree();
  for (const ProofVector& v : kVectors) {
    std::vector<Hash> want;
    for (const char* hex : v.proof) want.push_back(H(hex));
    Result<std::vector<Hash>> proof = InclusionProof(tree, v.a, v.b);
    ASSERT_TRUE(proof.ok()) << proof.error();
    EXPECT_EQ(*proof, want) << "index " << v.a << " size " << v.b;
    EXPECT_TRUE(VerifyInclusion(*tree.ReadHash(0, v.a), v.a, v.b, want, *TreeRoot(tree, v.b)))
        << "index " << v.a << " size " << v.b;
  }
}

TEST(MerkleTest, ConsistencyProofVectors) {
  const ProofVector kVectors[] = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  MemoryTree tree = ReferenceTree();
  for (const ProofVector& v : kVectors) {
    std::vector<Hash> want;
    for (const char* hex : v.proof) want.push_back(H(hex));
    Result<std::vector<Hash>> proof = ConsistencyProof(tree, v.a, v.b);
    ASSERT_TRUE(proof.ok()) << proof.error();
    EXPECT_EQ(*proof, want) << v.a << " -> " << v.b;
    EXPECT_TRUE(VerifyConsistency(v.a, v.b, want, *TreeRoot(tree, v.a), *TreeRoot(tree, v.b)))
        << v.a << " -> " << v.b;
  }
}

// Decodes a probe's base64 values; false if one is not a 32-byte hash, which the typed API
// cannot even express, so such a probe counts as rejected.
bool DecodeProbe(std::initializer_list<const char*> values, const std::vector<const char*>& proof,
                 std::vector<Hash>* hashes, std::vector<Hash>* proof_hashes) {
  for (const char* value : values) {
    Result<Hash> hash = HashFromBase64(value);
    if (!hash) return false;
    hashes->push_back(*hash);
  }
  for (const char* value : proof) {
    Result<Hash> hash = HashFromBase64(value);
    if (!hash) return false;
    proof_hashes->push_back(*hash);
  }
  return true;
}

TEST(MerkleTest, TransparencyDevInclusionProbes) {
  ASSERT_EQ(InclusionProbes().size(), 98u);
  int accepted = 0;
  for (const InclusionProbe& probe : InclusionProbes()) {
    std::vector<Hash> hashes, proof;
    bool ok = DecodeProbe({probe.leaf_hash, probe.root}, probe.proof, &hashes, &proof) &&
              VerifyInclusion(hashes[0], probe.index, probe.size, proof, hashes[1]).ok();
    EXPECT_EQ(ok, !probe.want_error) << probe.file;
    accepted += ok;
  }
  EXPECT_EQ(accepted, 6);  // the happy paths
}

TEST(MerkleTest, TransparencyDevConsistencyProbes) {
  ASSERT_EQ(ConsistencyProbes().size(), 98u);
  int accepted = 0, skipped = 0;
  for (const ConsistencyProbe& probe : ConsistencyProbes()) {
    std::vector<Hash> hashes, proof;
    if (!DecodeProbe({probe.root1, probe.root2}, probe.proof, &hashes, &proof)) {
      if (!probe.want_error) ++skipped;  // a happy path with 12-byte "roots": inexpressible
      continue;
    }
    bool ok = VerifyConsistency(probe.size1, probe.size2, proof, hashes[0], hashes[1]).ok();
    EXPECT_EQ(ok, !probe.want_error) << probe.file;
    accepted += ok;
  }
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(accepted, 5);
}

TEST(MerkleTest, ProofsMatchRfcDefinitionsForAllSmallTrees) {
  const std::vector<Hash> leaves = RandomLeafHashes(70, 1);
  MemoryTree tree;
  for (const Hash& leaf : leaves) tree.AppendLeafHash(leaf);
  for (uint64_t size = 1; size <= leaves.size(); ++size) {
    const std::span<const Hash> prefix = std::span(leaves).first(size);
    const Hash root = RefRoot(prefix);
    ASSERT_EQ(*TreeRoot(tree, size), root) << size;
    for (uint64_t index = 0; index < size; ++index) {
      Result<std::vector<Hash>> proof = InclusionProof(tree, index, size);
      ASSERT_TRUE(proof.ok()) << proof.error();
      ASSERT_EQ(*proof, RefPath(index, prefix)) << index << " in " << size;
      ASSERT_TRUE(VerifyInclusion(leaves[index], index, size, *proof, root));
      // Any change must be caught: another leaf, another root, a flipped bit. (Not another
      // size: a proof only fixes the shape of the path, which neighbouring sizes can share.)
      EXPECT_FALSE(VerifyInclusion(leaves[(index + 1) % size], index, size, *proof, root) &&
                   size > 1);
      EXPECT_FALSE(
          VerifyInclusion(leaves[index], index, size, *proof, RefRoot(prefix.first(size - 1))));
      EXPECT_FALSE(VerifyInclusion(leaves[index], index, 2 * size, *proof, root));
      for (size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i][i % kHashSize] ^= 1;
        EXPECT_FALSE(VerifyInclusion(leaves[index], index, size, bad, root));
      }
    }
    for (uint64_t old_size = 1; old_size <= size; ++old_size) {
      const Hash old_root = RefRoot(std::span(leaves).first(old_size));
      Result<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, size);
      ASSERT_TRUE(proof.ok()) << proof.error();
      ASSERT_EQ(*proof, RefSubproof(old_size, prefix, true)) << old_size << " -> " << size;
      ASSERT_TRUE(VerifyConsistency(old_size, size, *proof, old_root, root))
          << old_size << " -> " << size;
      EXPECT_FALSE(VerifyConsistency(old_size, size, *proof, root, old_root) && old_size != size);
      for (size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i][0] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(old_size, size, bad, old_root, root));
        bad = *proof;
        bad.erase(bad.begin() + static_cast<ptrdiff_t>(i));
        EXPECT_FALSE(VerifyConsistency(old_size, size, bad, old_root, root));
      }
      std::vector<Hash> longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyConsistency(old_size, size, longer, old_root, root));
    }
  }
}

TEST(MerkleTest, ProofsInALargerTree) {
  const std::vector<Hash> leaves = RandomLeafHashes(5000, 2);
  MemoryTree tree;
  for (const Hash& leaf : leaves) tree.AppendLeafHash(leaf);
  const Hash root = tree.Root();
  EXPECT_EQ(root, RefRoot(leaves));
  for (uint64_t index : {0u, 1u, 255u, 256u, 2047u, 4095u, 4096u, 4999u}) {
    Result<std::vector<Hash>> proof = InclusionProof(tree, index, leaves.size());
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyInclusion(leaves[index], index, leaves.size(), *proof, root)) << index;
  }
  for (uint64_t old_size : {1u, 7u, 256u, 3000u, 4096u, 4999u}) {
    Result<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, leaves.size());
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyConsistency(old_size, leaves.size(), *proof,
                                  RefRoot(std::span(leaves).first(old_size)), root))
        << old_size;
  }
}

TEST(MerkleTest, RootFromInclusionProofChecksTheLength) {
  MemoryTree tree = ReferenceTree();
  const Hash leaf = *tree.ReadHash(0, 5);
  std::vector<Hash> proof = *InclusionProof(tree, 5, 7);
  EXPECT_EQ(*RootFromInclusionProof(leaf, 5, 7, proof), *TreeRoot(tree, 7));
  proof.push_back(leaf);
  EXPECT_FALSE(RootFromInclusionProof(leaf, 5, 7, proof).ok());  // one too many
  proof.resize(proof.size() - 2);
  EXPECT_FALSE(RootFromInclusionProof(leaf, 5, 7, proof).ok());  // one too few
  EXPECT_FALSE(RootFromInclusionProof(leaf, 7, 7, {}).ok());
  EXPECT_EQ(*RootFromInclusionProof(leaf, 0, 1, {}), leaf);
}

TEST(MerkleTest, RejectsBadArguments) {
  MemoryTree tree = ReferenceTree();
  EXPECT_FALSE(InclusionProof(tree, 8, 8).ok());
  EXPECT_FALSE(InclusionProof(tree, 0, 0).ok());
  EXPECT_FALSE(InclusionProof(tree, 0, 9).ok());  // the reader has no such tree
  EXPECT_FALSE(ConsistencyProof(tree, 0, 8).ok());
  EXPECT_FALSE(ConsistencyProof(tree, 5, 4).ok());
  EXPECT_FALSE(ConsistencyProof(tree, 4, 9).ok());
  EXPECT_TRUE(ConsistencyProof(tree, 8, 8)->empty());
  const Hash root = tree.Root();
  EXPECT_FALSE(VerifyInclusion(root, 0, 0, {}, root));
  EXPECT_FALSE(VerifyConsistency(0, 0, {}, root, root));
  EXPECT_FALSE(VerifyConsistency(0, 8, {}, EmptyRoot(), root));
  EXPECT_TRUE(VerifyConsistency(8, 8, {}, root, root));
  EXPECT_FALSE(VerifyConsistency(8, 8, std::vector<Hash>{root}, root, root));
}

}  // namespace
}  // namespace tuidang::tlog
