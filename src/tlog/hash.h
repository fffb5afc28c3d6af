// RFC 6962 Merkle tree hashing (SHA-256) and the text encodings of hashes used by the C2SP
// specifications (standard, padded base64) and by tests (lowercase hex).
//
// Byte strings are passed as std::string_view and owned as std::string, as LevelDB passes a
// Slice: an entry is any sequence of bytes, including NUL.
//
// Every function here is pure and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tuidang::tlog {

inline constexpr size_t kHashSize = 32;  // SHA-256

using Hash = std::array<uint8_t, kHashSize>;

// The bytes of a hash, without copying. The view lives as long as `hash`.
inline std::string_view AsBytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

Hash Sha256(std::string_view bytes);

// RFC 6962 section 2.1: the hash of a leaf is SHA-256(0x00 || entry), of an inner node
// SHA-256(0x01 || left || right). The prefixes keep a leaf from passing for a node.
Hash LeafHash(std::string_view entry);
Hash NodeHash(const Hash& left, const Hash& right);

// The root of the empty tree, SHA-256 of nothing.
Hash EmptyRoot();

// The Merkle Tree Hash (RFC 6962 section 2.1) of a sequence whose leaf hashes are `hashes`:
// EmptyRoot() for none, the hash itself for one. Used on the hashes of a tile to get the
// subtree they span.
Hash RootFromHashes(std::span<const Hash> hashes);

// Standard base64 (RFC 4648 section 4) with padding.
std::string Base64Encode(std::string_view bytes);
// Strict inverse of Base64Encode: fails on a character outside the alphabet, on whitespace,
// on missing or extra padding and on non-zero unused bits, so that every byte string has
// exactly one accepted text.
Result<std::string> Base64Decode(std::string_view text);

std::string HashToBase64(const Hash& hash);
// Fails unless `text` is the canonical base64 of exactly kHashSize bytes.
Result<Hash> HashFromBase64(std::string_view text);

std::string HashToHex(const Hash& hash);
// Fails unless `text` is 64 hex digits (either case).
Result<Hash> HashFromHex(std::string_view text);

}  // namespace tuidang::tlog
