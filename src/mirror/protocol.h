// The wire formats of C2SP tlog-mirror's add-entries (https://c2sp.org/tlog-mirror), for both
// ends: the mirror (mirror/mirror.h) parses, the log (log/mirror_client.h) writes.
//
//   request:  uint16 origin length, origin, uint64 upload_start, uint64 upload_end,
//             uint16 ticket length, ticket, then entry packages (all big-endian)
//   package:  its entries, each with a uint16 length prefix, then uint8 num_hashes (<= 63)
//             and that many subtree consistency proof hashes (tlog/subtree.h)
//   409/202:  text/x.tlog.mirror-info: "<tree size>\n<next entry>\n<base64 ticket>\n"
//
// The canonical sequence of packages for [upload_start, upload_end) is cut at multiples of
// 256 (the entry bundles of tlog-tiles); package i proves the subtree [bundle start, end).
// Pure and thread-safe; no arithmetic here overflows for any 64-bit input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"

namespace tuidang::mirror {

inline constexpr uint64_t kPackageWidth = 256;  // entries per package: one entry bundle
inline constexpr size_t kMaxPackageProofHashes = 63;
inline constexpr std::string_view kMirrorInfoContentType = "text/x.tlog.mirror-info";
inline constexpr std::string_view kAddEntriesContentType = "application/octet-stream";

struct AddEntriesHeader {
  std::string origin;
  uint64_t upload_start = 0;
  uint64_t upload_end = 0;
  std::string ticket;  // opaque

  bool operator==(const AddEntriesHeader&) const = default;
};

// Parses the header at the front of `body` and removes it from `body`. Fails on a truncated
// header or an empty origin.
Result<AddEntriesHeader> ParseAddEntriesHeader(std::string_view* body);
// REQUIRES: origin and ticket are at most 65535 bytes.
std::string FormatAddEntriesHeader(const AddEntriesHeader& header);

// One package of the canonical sequence: the entries [start, end) it carries and the subtree
// [subtree_start, end) its proof is for (subtree_start <= start: the entries before start
// are the mirror's own).
struct PackageRange {
  uint64_t subtree_start = 0;
  uint64_t start = 0;
  uint64_t end = 0;

  bool operator==(const PackageRange&) const = default;
};

// The number of packages for [upload_start, upload_end); 0 when they are equal.
// REQUIRES: upload_start <= upload_end.
uint64_t PackageCount(uint64_t upload_start, uint64_t upload_end);
// Package `i` of that sequence. REQUIRES: i < PackageCount(upload_start, upload_end).
PackageRange Package(uint64_t upload_start, uint64_t upload_end, uint64_t i);

struct EntryPackage {
  std::vector<std::string_view> entries;  // views into the parsed body
  std::vector<tlog::Hash> proof;
};

// Parses a package of `count` entries at the front of `*data` and removes it. Fails, leaving
// `*data` as it was, when the bytes end within the package or num_hashes is above 63.
// REQUIRES: count <= kPackageWidth.
Result<EntryPackage> ParsePackage(std::string_view* data, uint64_t count);
// REQUIRES: each entry is at most 65535 bytes, proof.size() <= kMaxPackageProofHashes.
void AppendPackage(std::string* out, std::span<const std::string_view> entries,
                   std::span<const tlog::Hash> proof);

struct MirrorInfo {
  uint64_t tree_size = 0;
  uint64_t next_entry = 0;
  std::string ticket;  // opaque bytes

  bool operator==(const MirrorInfo&) const = default;
};
std::string FormatMirrorInfo(const MirrorInfo& info);
// Strict: two decimals without leading zeros and a canonical base64 line (possibly empty),
// each ended by a newline, nothing after.
Result<MirrorInfo> ParseMirrorInfo(std::string_view body);

}  // namespace tuidang::mirror
