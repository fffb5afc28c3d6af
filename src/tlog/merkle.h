// Merkle tree proofs (RFC 6962 section 2.1, RFC 9162 section 2.1) over a source of stored
// hashes, and their verification.
//
// Nodes are named by (level, index): the node at level L and index I is the Merkle Tree Hash
// of the 2^L leaves [I * 2^L, (I + 1) * 2^L). Such a node is "complete" in a tree of size N
// when (I + 1) * 2^L <= N; only complete nodes are ever stored, and once complete a node
// never changes, so a reader for a tree of size N also serves every smaller tree.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"

namespace tuidang::tlog {

// Where proofs get their hashes from: tiles (TileHashReader in tile.h), memory (MemoryTree
// below), or anything else that stores complete nodes.
class HashReader {
 public:
  virtual ~HashReader() = default;

  // Returns the hash of the complete node (level, index), or an error if the node is not
  // complete in the tree this reader serves or cannot be read. REQUIRES: level < 64.
  virtual Result<Hash> ReadHash(int level, uint64_t index) = 0;
};

// Root hash of the first `size` leaves; EmptyRoot() when size is 0.
Result<Hash> TreeRoot(HashReader& reader, uint64_t size);

// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 section
// 2.1.3.1), from the leaf's sibling up to the root's child. Fails if index >= size or a hash
// cannot be read.
Result<std::vector<Hash>> InclusionProof(HashReader& reader, uint64_t index, uint64_t size);

// The consistency proof from the tree of `old_size` leaves to the tree of `new_size` leaves
// (RFC 9162 section 2.1.4.1). Empty when the sizes are equal. Fails if old_size is 0 (every
// tree extends the empty tree; there is nothing to prove), if old_size > new_size, or if a
// hash cannot be read.
Result<std::vector<Hash>> ConsistencyProof(HashReader& reader, uint64_t old_size,
                                           uint64_t new_size);

// The root that `proof` yields for `leaf_hash` at `index` in a tree of `size` leaves, or an
// error if the proof cannot be a proof for that index and size (wrong length, index >= size).
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof);

// OK if `proof` proves that `leaf_hash` is leaf `index` of the tree of `size` leaves with
// root `root` (RFC 9162 section 2.1.3.2).
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);

// OK if `proof` proves that the tree (old_size, old_root) is a prefix of the tree
// (new_size, new_root) (RFC 9162 section 2.1.4.2). Equal sizes need an empty proof and equal
// roots. Fails when old_size is 0, as transparency-dev/merkle does: callers skip the check
// for the empty tree.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                         const Hash& old_root, const Hash& new_root);

// A whole tree in memory, every complete node kept: about 64 bytes per leaf. For tests,
// audits of small logs, and cross-checking the tile builder. Not thread-safe.
class MemoryTree : public HashReader {
 public:
  void AppendLeafHash(const Hash& leaf_hash);
  void AppendEntry(std::string_view entry) { AppendLeafHash(LeafHash(entry)); }

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Hash Root() const;

  Result<Hash> ReadHash(int level, uint64_t index) override;

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[L]: the complete nodes of level L
};

}  // namespace tuidang::tlog
