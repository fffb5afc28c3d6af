#include "mirror/protocol.h"

#include <fmt/format.h>

#include <algorithm>

#include "tlog/decimal.h"

namespace tuidang::mirror {

namespace {

bool TakeBytes(std::string_view* data, size_t n, std::string_view* out) {
  if (data->size() < n) return false;
  *out = data->substr(0, n);
  data->remove_prefix(n);
  return true;
}

bool TakeUint(std::string_view* data, int bytes, uint64_t* out) {
  std::string_view raw;
  if (!TakeBytes(data, static_cast<size_t>(bytes), &raw)) return false;
  uint64_t v = 0;
  for (char c : raw) v = (v << 8) | static_cast<uint8_t>(c);
  *out = v;
  return true;
}

void PutUint(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool NextLine(std::string_view* rest, std::string_view* line) {
  const size_t end = rest->find('\n');
  if (end == std::string_view::npos) return false;
  *line = rest->substr(0, end);
  rest->remove_prefix(end + 1);
  return true;
}

}  // namespace

Result<AddEntriesHeader> ParseAddEntriesHeader(std::string_view* body) {
  std::string_view rest = *body;
  AddEntriesHeader header;
  uint64_t length = 0;
  std::string_view origin, ticket;
  if (!TakeUint(&rest, 2, &length) || !TakeBytes(&rest, length, &origin)) {
    return Error{"truncated header: the log origin"};
  }
  if (origin.empty()) return Error{"the log origin is empty"};
  if (!TakeUint(&rest, 8, &header.upload_start) || !TakeUint(&rest, 8, &header.upload_end)) {
    return Error{"truncated header: upload_start and upload_end"};
  }
  if (!TakeUint(&rest, 2, &length) || !TakeBytes(&rest, length, &ticket)) {
    return Error{"truncated header: the ticket"};
  }
  header.origin = std::string(origin);
  header.ticket = std::string(ticket);
  *body = rest;
  return header;
}

std::string FormatAddEntriesHeader(const AddEntriesHeader& header) {
  std::string out;
  PutUint(&out, header.origin.size(), 2);
  out += header.origin;
  PutUint(&out, header.upload_start, 8);
  PutUint(&out, header.upload_end, 8);
  PutUint(&out, header.ticket.size(), 2);
  out += header.ticket;
  return out;
}

// Counted in units of 256 entries, so that rounding upload_end up cannot overflow.
uint64_t PackageCount(uint64_t upload_start, uint64_t upload_end) {
  if (upload_start >= upload_end) return 0;
  const uint64_t first = upload_start / kPackageWidth;
  const uint64_t last = upload_end / kPackageWidth + (upload_end % kPackageWidth != 0 ? 1 : 0);
  return last - first;
}

PackageRange Package(uint64_t upload_start, uint64_t upload_end, uint64_t i) {
  const uint64_t bundle = upload_start / kPackageWidth + i;
  PackageRange range;
  range.subtree_start = bundle * kPackageWidth;
  range.start = std::max(upload_start, range.subtree_start);
  // bundle + 1 full bundles may not fit in 64 bits; upload_end always does.
  range.end = bundle + 1 > upload_end / kPackageWidth ? upload_end : (bundle + 1) * kPackageWidth;
  return range;
}

Result<EntryPackage> ParsePackage(std::string_view* data, uint64_t count) {
  std::string_view rest = *data;
  EntryPackage package;
  package.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length = 0;
    std::string_view entry;
    if (!TakeUint(&rest, 2, &length) || !TakeBytes(&rest, length, &entry)) {
      return Error{fmt::format("truncated package: entry {} of {}", i + 1, count)};
    }
    package.entries.push_back(entry);
  }
  uint64_t hashes = 0;
  if (!TakeUint(&rest, 1, &hashes)) return Error{"truncated package: no proof length"};
  if (hashes > kMaxPackageProofHashes) {
    return Error{
        fmt::format("a package's proof has {} hashes; at most {}", hashes, kMaxPackageProofHashes)};
  }
  for (uint64_t i = 0; i < hashes; ++i) {
    std::string_view raw;
    if (!TakeBytes(&rest, tlog::kHashSize, &raw)) {
      return Error{fmt::format("truncated package: proof hash {} of {}", i + 1, hashes)};
    }
    tlog::Hash hash;
    std::copy(raw.begin(), raw.end(), hash.begin());
    package.proof.push_back(hash);
  }
  *data = rest;
  return package;
}

void AppendPackage(std::string* out, std::span<const std::string_view> entries,
                   std::span<const tlog::Hash> proof) {
  for (std::string_view entry : entries) {
    PutUint(out, entry.size(), 2);
    out->append(entry);
  }
  out->push_back(static_cast<char>(proof.size()));
  for (const tlog::Hash& hash : proof) out->append(tlog::AsBytes(hash));
}

std::string FormatMirrorInfo(const MirrorInfo& info) {
  return fmt::format("{}\n{}\n{}\n", info.tree_size, info.next_entry,
                     tlog::Base64Encode(info.ticket));
}

Result<MirrorInfo> ParseMirrorInfo(std::string_view body) {
  MirrorInfo info;
  std::string_view size, next, ticket;
  if (!NextLine(&body, &size) || !NextLine(&body, &next) || !NextLine(&body, &ticket) ||
      !body.empty()) {
    return Error{"mirror-info: not three lines"};
  }
  if (!tlog::ParseDecimal(size, &info.tree_size) || !tlog::ParseDecimal(next, &info.next_entry)) {
    return Error{"mirror-info: the tree size and next entry must be decimals"};
  }
  Result<std::string> decoded = tlog::Base64Decode(ticket);
  if (!decoded) return Error{"mirror-info: the ticket is not base64"};
  info.ticket = std::move(*decoded);
  return info;
}

}  // namespace tuidang::mirror
