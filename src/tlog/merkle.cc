#include "tlog/merkle.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace tuidang::tlog {

namespace {

// The largest power of two smaller than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (std::bit_width(n - 1) - 1); }

// Merkle Tree Hash of the leaves [begin, end), from the complete nodes that tile the range:
// one per set bit of end - begin, largest first. REQUIRES: begin < end and begin is a multiple
// of the largest power of two not above end - begin, which holds for every subtree that the
// RFC 6962 recursion visits.
template <typename ReadFn>
Result<Hash> RangeHash(ReadFn&& read, uint64_t begin, uint64_t end) {
  Hash nodes[64];
  int count = 0;
  const uint64_t width = end - begin;
  uint64_t pos = begin;
  for (int level = 63; level >= 0; --level) {
    const uint64_t bit = uint64_t{1} << level;
    if ((width & bit) == 0) continue;
    Result<Hash> node = read(level, pos >> level);
    if (!node) return node;
    nodes[count++] = *node;
    pos += bit;
  }
  Hash hash = nodes[count - 1];
  for (int i = count - 2; i >= 0; --i) hash = NodeHash(nodes[i], hash);
  return hash;
}

auto ReaderFn(HashReader& reader) {
  return [&reader](int level, uint64_t index) { return reader.ReadHash(level, index); };
}

}  // namespace

Result<Hash> TreeRoot(HashReader& reader, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(ReaderFn(reader), 0, size);
}

Result<std::vector<Hash>> InclusionProof(HashReader& reader, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Error{fmt::format("inclusion proof: index {} is not in a tree of size {}", index, size)};
  }
  // RFC 9162 PATH(m, D[n]) unrolled: walk down from the root, keeping the sibling of the
  // subtree that holds the leaf; the proof lists them from the bottom up.
  std::vector<Hash> proof;
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    Result<Hash> sibling = Error{};
    if (index < lo + k) {
      sibling = RangeHash(ReaderFn(reader), lo + k, hi);
      hi = lo + k;
    } else {
      sibling = RangeHash(ReaderFn(reader), lo, lo + k);
      lo += k;
    }
    if (!sibling) return Error{sibling.error()};
    proof.push_back(*sibling);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(HashReader& reader, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size == 0) return Error{"consistency proof: from the empty tree"};
  if (old_size > new_size) {
    return Error{fmt::format("consistency proof: old size {} > new size {}", old_size, new_size)};
  }
  // RFC 9162 SUBPROOF(m, D[n], true) unrolled. Each level of the recursion appends one hash
  // after its sub-result, so collect top-down and reverse at the end.
  std::vector<Hash> proof;
  uint64_t lo = 0, hi = new_size, m = old_size;
  bool old_root_known = true;  // the verifier knows the old root: no need to send it
  while (true) {
    const uint64_t n = hi - lo;
    if (m == n) {
      if (!old_root_known) {
        Result<Hash> node = RangeHash(ReaderFn(reader), lo, hi);
        if (!node) return Error{node.error()};
        proof.push_back(*node);
      }
      break;
    }
    const uint64_t k = SplitPoint(n);
    Result<Hash> node = Error{};
    if (m <= k) {
      node = RangeHash(ReaderFn(reader), lo + k, hi);
      hi = lo + k;
    } else {
      node = RangeHash(ReaderFn(reader), lo, lo + k);
      lo += k;
      m -= k;
      old_root_known = false;
    }
    if (!node) return Error{node.error()};
    proof.push_back(*node);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return Error{fmt::format("inclusion proof: index {} is not in a tree of size {}", index, size)};
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Error{"inclusion proof: too long"};
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Error{"inclusion proof: too short"};
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  Result<Hash> computed = RootFromInclusionProof(leaf_hash, index, size, proof);
  if (!computed) return Error{computed.error()};
  if (*computed != root) return Error{"inclusion proof: root mismatch"};
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                         const Hash& old_root, const Hash& new_root) {
  if (old_size == 0) return Error{"consistency proof: from the empty tree"};
  if (old_size > new_size) {
    return Error{fmt::format("consistency proof: old size {} > new size {}", old_size, new_size)};
  }
  if (old_size == new_size) {
    if (!proof.empty()) return Error{"consistency proof: not empty for equal sizes"};
    if (old_root != new_root) return Error{"consistency proof: different roots for equal sizes"};
    return Status::Ok();
  }
  if (proof.empty()) return Error{"consistency proof: empty"};

  // When old_size is a power of two the old root is a node of the new tree and the proof
  // leaves it out; the walk starts from it.
  size_t next = 0;
  Hash start;
  if (std::has_single_bit(old_size)) {
    start = old_root;
  } else {
    start = proof[0];
    next = 1;
  }
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = start, sr = start;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return Error{"consistency proof: too long"};
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Error{"consistency proof: too short"};
  if (fr != old_root) return Error{"consistency proof: old root mismatch"};
  if (sr != new_root) return Error{"consistency proof: new root mismatch"};
  return Status::Ok();
}

void MemoryTree::AppendLeafHash(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each time a level gets an even count, its last two nodes complete a parent.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    const std::vector<Hash>& nodes = levels_[level];
    Hash parent = NodeHash(nodes[nodes.size() - 2], nodes.back());
    if (levels_.size() == level + 1) levels_.emplace_back();
    levels_[level + 1].push_back(parent);
  }
}

Hash MemoryTree::Root() const {
  if (size() == 0) return EmptyRoot();
  auto read = [this](int level, uint64_t index) -> Result<Hash> {
    return levels_[static_cast<size_t>(level)][index];
  };
  return *RangeHash(read, 0, size());
}

Result<Hash> MemoryTree::ReadHash(int level, uint64_t index) {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
      index >= levels_[static_cast<size_t>(level)].size()) {
    return Error{fmt::format("memory tree: no complete node ({}, {})", level, index)};
  }
  return levels_[static_cast<size_t>(level)][index];
}

}  // namespace tuidang::tlog
