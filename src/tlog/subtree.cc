#include "tlog/subtree.h"

#include <fmt/format.h>

#include <bit>

namespace tuidang::tlog {

namespace {

// The largest power of two smaller than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (std::bit_width(n - 1) - 1); }

// MTH of the leaves [begin, end) as the RFC 6962 recursion splits it: complete nodes read
// from `reader`. REQUIRES: begin < end, and [begin, end) is a node or a right edge of the
// recursion (begin a multiple of the largest power of two not above end - begin).
Result<Hash> RangeHash(HashReader& reader, uint64_t begin, uint64_t end) {
  const uint64_t width = end - begin;
  if (std::has_single_bit(width)) {
    const int level = std::countr_zero(width);
    return reader.ReadHash(level, begin >> level);
  }
  const uint64_t k = SplitPoint(width);
  Result<Hash> left = RangeHash(reader, begin, begin + k);
  if (!left) return left;
  Result<Hash> right = RangeHash(reader, begin + k, end);
  if (!right) return right;
  return NodeHash(*left, *right);
}

// SUBTREE_SUBPROOF(start, end, D[lo:lo+n], known): appends to `out` in the draft's order
// (the sub-proof first, then the sibling's hash).
Status SubProof(HashReader& reader, uint64_t start, uint64_t end, uint64_t lo, uint64_t n,
                bool known, std::vector<Hash>* out) {
  if (start == 0 && end == n) {
    if (known) return Status::Ok();
    Result<Hash> root = RangeHash(reader, lo, lo + n);
    if (!root) return Status::Fail(root.error());
    out->push_back(*root);
    return Status::Ok();
  }
  const uint64_t k = SplitPoint(n);
  Status s = Status::Ok();
  Result<Hash> sibling = Error{};
  if (end <= k) {
    s = SubProof(reader, start, end, lo, k, known, out);
    sibling = RangeHash(reader, lo + k, lo + n);
  } else if (k <= start) {
    s = SubProof(reader, start - k, end - k, lo + k, n - k, known, out);
    sibling = RangeHash(reader, lo, lo + k);
  } else {  // start < k < end, so start is 0 in a valid subtree
    s = SubProof(reader, 0, end - k, lo + k, n - k, /*known=*/false, out);
    sibling = RangeHash(reader, lo, lo + k);
  }
  if (!s) return s;
  if (!sibling) return Status::Fail(sibling.error());
  out->push_back(*sibling);
  return Status::Ok();
}

}  // namespace

bool IsValidSubtree(uint64_t start, uint64_t end) {
  if (start >= end) return false;
  const uint64_t size = end - start;
  if (size > (uint64_t{1} << 63)) return start == 0;  // BIT_CEIL is 2^64: only 0 divides
  return start % std::bit_ceil(size) == 0;
}

Result<std::vector<Hash>> SubtreeConsistencyProof(HashReader& reader, uint64_t start, uint64_t end,
                                                  uint64_t n) {
  if (!IsValidSubtree(start, end) || end > n) {
    return Error{fmt::format("subtree proof: [{}, {}) is not a subtree of a tree of size {}", start,
                             end, n)};
  }
  std::vector<Hash> proof;
  if (Status s = SubProof(reader, start, end, 0, n, /*known=*/true, &proof); !s) {
    return Error{"subtree proof: " + s.message()};
  }
  return proof;
}

Status VerifySubtreeConsistency(uint64_t start, uint64_t end, uint64_t n,
                                std::span<const Hash> proof, const Hash& subtree_hash,
                                const Hash& root) {
  if (!IsValidSubtree(start, end) || end > n) {
    return Status::Fail(
        fmt::format("[{}, {}) is not a subtree of a tree of size {}", start, end, n));
  }
  uint64_t fn = start, sn = end - 1, tn = n - 1;
  if (sn == tn) {
    while (fn != sn) fn >>= 1, sn >>= 1, tn >>= 1;
  } else {
    while (fn != sn && (sn & 1) != 0) fn >>= 1, sn >>= 1, tn >>= 1;
  }
  Hash fr, sr;
  if (fn == sn) {
    fr = sr = subtree_hash;
  } else {
    if (proof.empty()) return Status::Fail("the subtree proof is empty");
    fr = sr = proof[0];
    proof = proof.subspan(1);
  }
  for (const Hash& c : proof) {
    if (tn == 0) return Status::Fail("the subtree proof is too long");
    if ((sn & 1) != 0 || sn == tn) {
      if (fn < sn) fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((sn & 1) == 0) fn >>= 1, sn >>= 1, tn >>= 1;
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1, sn >>= 1, tn >>= 1;
  }
  if (tn != 0) return Status::Fail("the subtree proof is too short");
  if (fr != subtree_hash) return Status::Fail("the subtree proof does not lead to the subtree");
  if (sr != root) return Status::Fail("the subtree proof does not lead to the root");
  return Status::Ok();
}

}  // namespace tuidang::tlog
