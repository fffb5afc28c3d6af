// Subtrees of a Merkle tree and their consistency proofs, as C2SP tlog-mirror's add-entries
// uses them (draft-ietf-plants-merkle-tree-certs, "Subtrees"): the subtree [start, end) is
// MTH(D[start:end]), valid when start < end and start is a multiple of BIT_CEIL(end - start).
// A subtree consistency proof shows that its entries are the same entries of a tree of size
// n >= end; from start 0 it is RFC 9162's consistency proof, for one entry an inclusion proof.
//
// Pure and thread-safe, except through `reader`.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/merkle.h"

namespace tuidang::tlog {

// True when [start, end) is a valid subtree (of any tree of size >= end).
bool IsValidSubtree(uint64_t start, uint64_t end);

// SUBTREE_PROOF(start, end, D_n), with the hashes of the tree of size `n` from `reader`.
// Fails if [start, end) is not a valid subtree, end > n, or a hash cannot be read.
Result<std::vector<Hash>> SubtreeConsistencyProof(HashReader& reader, uint64_t start, uint64_t end,
                                                  uint64_t n);

// OK when `proof` proves that the subtree [start, end) with hash `subtree_hash` is consistent
// with the tree of size `n` and root `root` (the draft's verification procedure, step by
// step); an error saying why otherwise.
Status VerifySubtreeConsistency(uint64_t start, uint64_t end, uint64_t n,
                                std::span<const Hash> proof, const Hash& subtree_hash,
                                const Hash& root);

}  // namespace tuidang::tlog
