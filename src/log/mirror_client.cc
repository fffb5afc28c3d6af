#include "log/mirror_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "mirror/protocol.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/subtree.h"

namespace tuidang {

namespace {

class TileConsistency : public ConsistencySource {
 public:
  explicit TileConsistency(tlog::TileReader* tiles) : tiles_(tiles) {}
  Result<std::vector<tlog::Hash>> Consistency(uint64_t old_size, uint64_t new_size) override {
    tlog::TileHashReader reader(tiles_, new_size);
    return tlog::ConsistencyProof(reader, old_size, new_size);
  }

 private:
  tlog::TileReader* tiles_;
};

std::string Url(const std::string& prefix, std::string_view endpoint) {
  std::string url = prefix;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/" + std::string(endpoint);
}

// The add-entries body for [start, end) of the tree of `size`: the header and at most
// kMirrorPackagesPerRequest packages of the canonical sequence.
Result<std::string> EntriesBody(tlog::TileReader& tiles, std::string_view origin, uint64_t start,
                                uint64_t size) {
  std::string body = mirror::FormatAddEntriesHeader({std::string(origin), start, size, ""});
  tlog::TileHashReader hashes(&tiles, size);
  const uint64_t count = std::min(mirror::PackageCount(start, size), kMirrorPackagesPerRequest);
  for (uint64_t i = 0; i < count; ++i) {
    const mirror::PackageRange r = mirror::Package(start, size, i);
    const uint64_t bundle = r.subtree_start / mirror::kPackageWidth;
    const int width =
        static_cast<int>(std::min<uint64_t>(mirror::kPackageWidth, size - r.subtree_start));
    Result<std::string> data = tiles.ReadTile({tlog::kEntryBundleLevel, bundle, width});
    if (!data) return Error{data.error()};
    Result<std::vector<std::string_view>> entries = tlog::ParseEntryBundle(*data, width);
    if (!entries) return Error{"entry bundle: " + entries.error()};
    Result<std::vector<tlog::Hash>> proof =
        tlog::SubtreeConsistencyProof(hashes, r.subtree_start, r.end, size);
    if (!proof) return Error{proof.error()};
    std::span<const std::string_view> mine(*entries);
    mirror::AppendPackage(&body, mine.subspan(r.start - r.subtree_start, r.end - r.start), *proof);
  }
  return body;
}

// The mirror's line among the signature lines of a 200, verified against the checkpoint.
bool ReadCosignature(const tlog::PolicyWitness& mirror, const OfferedCheckpoint& cp,
                     const std::string& body, MirrorOutcome* out) {
  auto note = tlog::ParseNote(cp.signed_note);
  if (!note) return false;
  auto lines = tlog::ParseNote(note->text + "\n" + body);
  if (!lines) {
    out->message = "answered 200 with a body that is not signature lines: " + lines.error();
    return false;
  }
  for (const tlog::NoteSignature& s : lines->unverified) {
    if (s.name != mirror.key.name() || s.key_id != mirror.key.key_id()) continue;
    Result<uint64_t> ts = mirror.key.VerifyNote(tlog::Note{note->text, {}, {s}});
    if (!ts) {
      out->message = "answered 200 with a cosignature that does not verify: " + ts.error();
      return false;
    }
    out->timestamp = *ts;
    out->cosignature = fmt::format("{}{} {}\n", tlog::kSignaturePrefix, s.name, s.base64);
    return true;
  }
  out->message = "answered 200 without a cosignature by " + mirror.key.VerifierKey();
  return false;
}

}  // namespace

MirrorOutcome PushToMirror(HttpPoster& http, const tlog::PolicyWitness& mirror,
                           tlog::TileReader& tiles, const OfferedCheckpoint& checkpoint,
                           std::optional<uint64_t> known_pending, uint64_t next_entry) {
  MirrorOutcome out;
  out.next_entry = next_entry;
  // Stage 1: the pending checkpoint, exactly as a witness is asked (the mirror answers 200
  // with no cosignature, or with a distinct witness key's: either is an update).
  TileConsistency proofs(&tiles);
  WitnessOutcome asked = AskWitness(http, mirror, proofs, checkpoint, known_pending);
  out.requests += 1 + (asked.witness_size && !known_pending ? 1 : 0);
  out.status = asked.status;
  out.pending_size = asked.witness_size;
  if (asked.status != 200) {
    out.kind =
        asked.kind == WitnessOutcome::kRetry ? MirrorOutcome::kRetry : MirrorOutcome::kConflict;
    out.message = "add-checkpoint: " + asked.message;
    return out;
  }
  out.pending_size = checkpoint.size;

  // Stage 2: the entries, a prefix at a time, until the mirror cosigns.
  auto note = tlog::ParseNote(checkpoint.signed_note);
  auto parsed =
      note ? tlog::ParseCheckpoint(note->text) : Result<tlog::Checkpoint>(Error{note.error()});
  if (!parsed) {
    out.kind = MirrorOutcome::kConflict;
    out.message = "our own checkpoint does not parse: " + parsed.error();
    return out;
  }
  const uint64_t size = checkpoint.size;
  uint64_t start = std::min(next_entry, size);
  const uint64_t rounds = mirror::PackageCount(0, size) / kMirrorPackagesPerRequest + 4;
  for (uint64_t round = 0; round < rounds; ++round) {
    Result<std::string> body = EntriesBody(tiles, parsed->origin, start, size);
    if (!body) {
      out.kind = MirrorOutcome::kRetry;
      out.message = "cannot read our own tiles: " + body.error();
      return out;
    }
    Result<HttpReply> reply = http.PostAs(Url(mirror.url, "add-entries"),
                                          std::string(mirror::kAddEntriesContentType), *body);
    ++out.requests;
    if (!reply) {
      out.kind = MirrorOutcome::kRetry;
      out.message = reply.error();
      return out;
    }
    out.status = reply->status;
    std::string said = reply->body.substr(0, 200);
    while (!said.empty() && said.back() == '\n') said.pop_back();
    if (reply->status == 200) {
      out.kind = ReadCosignature(mirror, checkpoint, reply->body, &out) ? MirrorOutcome::kMirrored
                                                                        : MirrorOutcome::kConflict;
      if (out.kind == MirrorOutcome::kMirrored) out.next_entry = std::max(out.next_entry, size);
      return out;
    }
    if ((reply->status == 202 || reply->status == 409) &&
        reply->content_type == mirror::kMirrorInfoContentType) {
      Result<mirror::MirrorInfo> info = mirror::ParseMirrorInfo(reply->body);
      if (!info) {
        out.kind = MirrorOutcome::kConflict;
        out.message =
            fmt::format("HTTP {} with a malformed mirror-info: {}", reply->status, info.error());
        return out;
      }
      out.next_entry = info->next_entry;
      if (info->tree_size != size) {
        // Our checkpoint is no longer one the mirror takes: someone else fed it a newer one.
        out.kind = MirrorOutcome::kRetry;
        out.pending_size = info->tree_size;
        out.message = fmt::format("HTTP {}: the mirror's pending size is {}, not {}", reply->status,
                                  info->tree_size, size);
        return out;
      }
      if (reply->status == 202 && info->next_entry <= start) {
        out.kind = MirrorOutcome::kRetry;
        out.message = "HTTP 202 without progress";
        return out;
      }
      start = std::min(info->next_entry, size);
      continue;
    }
    if (reply->status == 429 || reply->status >= 500) {
      out.kind = MirrorOutcome::kRetry;
      out.message = fmt::format("add-entries: HTTP {}: {}", reply->status, said);
      return out;
    }
    out.kind = MirrorOutcome::kConflict;
    out.message = fmt::format("add-entries: HTTP {}: {}", reply->status, said);
    return out;
  }
  out.kind = MirrorOutcome::kRetry;
  out.message = "add-entries: no end in sight (the mirror keeps answering 409)";
  return out;
}

}  // namespace tuidang
