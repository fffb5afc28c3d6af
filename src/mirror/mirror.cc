#include "mirror/mirror.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "tlog/subtree.h"
#include "tlog/tile.h"

namespace tuidang::mirror {

namespace {

Answer Plain(int status, std::string message) {
  Answer answer;
  answer.status = status;
  answer.body = std::move(message);
  answer.body.push_back('\n');
  return answer;
}

Answer Info(int status, uint64_t tree_size, uint64_t next_entry) {
  Answer answer;
  answer.status = status;
  // No ticket: the mirror keeps its last pending checkpoints itself (state.h).
  answer.body = FormatMirrorInfo(MirrorInfo{tree_size, next_entry, ""});
  answer.content_type = std::string(kMirrorInfoContentType);
  return answer;
}

// The checkpoint's text and the log's signatures we verified (never the unknown ones: we
// vouch for nothing else), as the pending checkpoint keeps them.
std::string PendingNote(const tlog::Note& note) {
  std::string stored = note.text;
  stored.push_back('\n');
  for (const tlog::NoteSignature& signature : note.verified) {
    stored += fmt::format("{}{} {}\n", tlog::kSignaturePrefix, signature.name, signature.base64);
  }
  return stored;
}

// `note` (a pending checkpoint, or a mirror checkpoint cosigned before) with our new
// cosignature line in place of any older one of ours.
Result<std::string> Cosigned(std::string_view note, const tlog::Cosigner& cosigner,
                             uint64_t timestamp, std::string* line) {
  Result<tlog::Note> parsed = tlog::ParseNote(note);
  if (!parsed) return Error{"a stored checkpoint does not parse: " + parsed.error()};
  Result<std::string> cosignature = cosigner.Cosign(parsed->text, timestamp);
  if (!cosignature) return Error{"cannot cosign: " + cosignature.error()};
  std::string out = parsed->text + "\n";
  for (const tlog::NoteSignature& s : parsed->unverified) {
    if (s.name == cosigner.name()) continue;
    out += fmt::format("{}{} {}\n", tlog::kSignaturePrefix, s.name, s.base64);
  }
  out += *cosignature;
  *line = std::move(*cosignature);
  return out;
}

}  // namespace

Result<std::unique_ptr<Mirror>> Mirror::Create(std::vector<WitnessedLog> logs,
                                               tlog::Cosigner cosigner, MirrorState* state,
                                               Clock clock) {
  std::set<std::string> origins;
  for (const WitnessedLog& log : logs) {
    if (!origins.insert(log.origin).second) {
      return Error{fmt::format("log origin {:?} is listed twice", log.origin)};
    }
    if (log.keys.empty()) return Error{fmt::format("log {:?} has no key", log.origin)};
  }
  return std::unique_ptr<Mirror>(
      new Mirror(std::move(logs), std::move(cosigner), state, std::move(clock)));
}

Mirror::Mirror(std::vector<WitnessedLog> logs, tlog::Cosigner cosigner, MirrorState* state,
               Clock clock)
    : logs_(std::move(logs)),
      cosigner_(std::move(cosigner)),
      state_(state),
      clock_(std::move(clock)) {}

const WitnessedLog* Mirror::FindLog(std::string_view origin) const {
  for (const WitnessedLog& log : logs_) {
    if (log.origin == origin) return &log;
  }
  return nullptr;
}

Answer Mirror::AddCheckpoint(std::string_view body) {
  Result<witness::AddCheckpointRequest> request = witness::ParseAddCheckpoint(body);
  if (!request) return Plain(400, "malformed request: " + request.error());
  Result<tlog::Note> parsed = tlog::ParseNote(request->checkpoint);
  if (!parsed) return Plain(400, "malformed checkpoint: " + parsed.error());
  Result<tlog::Checkpoint> checkpoint = tlog::ParseCheckpoint(parsed->text);
  if (!checkpoint) return Plain(400, "malformed checkpoint: " + checkpoint.error());
  const WitnessedLog* log = FindLog(checkpoint->origin);
  if (log == nullptr) return Plain(404, "unknown log origin");
  Result<tlog::Note> note = tlog::OpenNote(request->checkpoint, log->keys);
  if (!note) return Plain(403, "not signed by the log's key: " + note.error());
  if (request->old_size > checkpoint->size) {
    return Plain(400, "the old size is larger than the checkpoint's size");
  }

  Answer answer{200, ""};
  const Status stored = state_->AdvancePending(
      checkpoint->origin,
      [&](const std::optional<StoredCheckpoint>& current) -> std::optional<StoredCheckpoint> {
        const uint64_t ours = current ? current->size : 0;
        if (request->old_size != ours) {
          answer = Plain(409, std::to_string(ours));
          answer.content_type = std::string(witness::kTlogSizeContentType);
          return std::nullopt;
        }
        if (std::optional<std::string> why = witness::Inconsistency(
                *request, *checkpoint, current ? current->root : tlog::Hash{})) {
          spdlog::warn("mirror: refused {:?} at size {} from old size {}: {}", checkpoint->origin,
                       checkpoint->size, request->old_size, *why);
          answer = Plain(422, *why);
          return std::nullopt;
        }
        return StoredCheckpoint{checkpoint->size, checkpoint->root, PendingNote(*note)};
      });
  if (!stored) {
    spdlog::error("mirror: cannot store the pending checkpoint of {:?}: {}", checkpoint->origin,
                  stored.message());
    return Plain(500, "cannot store the mirror state");
  }
  return answer;
}

std::optional<Answer> Mirror::StorePackages(const AddEntriesHeader& header,
                                            const StoredCheckpoint& end, std::string_view packages,
                                            uint64_t* next_entry) {
  const uint64_t count = PackageCount(header.upload_start, header.upload_end);
  std::vector<std::string_view> batch;  // authenticated entries, from batch_first on
  uint64_t batch_first = 0;
  std::string own_prefix;  // the stored bundle the first package's subtree starts in
  std::optional<Answer> failure;
  uint64_t done = 0;
  for (; done < count; ++done) {
    const PackageRange range = Package(header.upload_start, header.upload_end, done);
    Result<EntryPackage> package = ParsePackage(&packages, range.end - range.start);
    if (!package) break;  // truncated or malformed: the packages before it stand
    std::vector<tlog::Hash> leaves;
    leaves.reserve(range.end - range.subtree_start);
    if (range.subtree_start < range.start) {
      // Only the first package can start inside a bundle; its head is ours (upload_start
      // is at most our next entry, checked by the caller).
      auto bundle = state_->Bundle(header.origin, range.subtree_start / kPackageWidth);
      if (!bundle) {
        spdlog::error("mirror: cannot read {:?}: {}", header.origin, bundle.error());
        failure = Plain(500, "cannot read the mirror state");
        break;
      }
      const int have = static_cast<int>(range.start - range.subtree_start);
      if (!*bundle || (*bundle)->first < have) {
        failure = Info(409, header.upload_end, *next_entry);
        break;
      }
      own_prefix = std::move((*bundle)->second);
      auto entries = tlog::ParseEntryBundle(own_prefix, have);
      if (!entries) {
        failure = Plain(500, "a stored entry bundle is malformed");
        break;
      }
      for (std::string_view entry : *entries) leaves.push_back(tlog::LeafHash(entry));
    }
    for (std::string_view entry : package->entries) leaves.push_back(tlog::LeafHash(entry));
    const tlog::Hash subtree = tlog::RootFromHashes(leaves);
    if (Status s = tlog::VerifySubtreeConsistency(range.subtree_start, range.end, end.size,
                                                  package->proof, subtree, end.root);
        !s) {
      failure = Plain(422, fmt::format("entry package {} ([{}, {})): {}", done + 1, range.start,
                                       range.end, s.message()));
      break;
    }
    if (batch.empty()) batch_first = range.start;
    batch.insert(batch.end(), package->entries.begin(), package->entries.end());
  }
  if (!failure && done == count && !packages.empty()) {
    return Plain(400, "bytes after the last entry package");  // nothing stored
  }
  if (!failure && done < count && batch.empty()) {
    return Plain(400, fmt::format("entry package 1 of {} is truncated or malformed", count));
  }
  if (!batch.empty()) {
    Result<uint64_t> next = state_->AppendEntries(header.origin, batch_first, batch);
    if (!next) {
      spdlog::error("mirror: cannot store entries of {:?}: {}", header.origin, next.error());
      return Plain(500, "cannot store the entries");
    }
    *next_entry = *next;
  }
  if (failure) return failure;
  if (done < count) return Info(202, header.upload_end, *next_entry);
  return std::nullopt;
}

Answer Mirror::Commit(const AddEntriesHeader& header, const StoredCheckpoint& end,
                      uint64_t next_entry) {
  std::string line;
  Result<MirrorState::CommitResult> committed = state_->CommitCheckpoint(
      header.origin, end,
      [&]() -> Result<std::string> { return Cosigned(end.note, cosigner_, clock_(), &line); });
  if (!committed) {
    spdlog::error("mirror: cannot commit {:?} at size {}: {}", header.origin, end.size,
                  committed.error());
    return Plain(500, "cannot store the mirror checkpoint");
  }
  if (*committed == MirrorState::CommitResult::kBehind) {
    return Info(409, header.upload_end, next_entry);
  }
  return Answer{200, line};
}

Answer Mirror::AddEntries(std::string_view body) {
  Result<AddEntriesHeader> header = ParseAddEntriesHeader(&body);
  if (!header) return Plain(400, "malformed request: " + header.error());
  if (FindLog(header->origin) == nullptr) return Plain(404, "unknown log origin");
  Result<LogCopy> copy = state_->Read(header->origin);
  if (!copy) {
    spdlog::error("mirror: cannot read {:?}: {}", header->origin, copy.error());
    return Plain(500, "cannot read the mirror state");
  }
  if (!copy->pending) return Plain(422, "no pending checkpoint of this log: add-checkpoint first");
  if (header->upload_start > header->upload_end) {
    return Plain(400, "upload_start is larger than upload_end");
  }
  Result<std::optional<StoredCheckpoint>> end = state_->Known(header->origin, header->upload_end);
  if (!end) {
    spdlog::error("mirror: cannot read {:?}: {}", header->origin, end.error());
    return Plain(500, "cannot read the mirror state");
  }
  const uint64_t next = copy->next_entry;
  const uint64_t mirrored = copy->mirrored ? copy->mirrored->size : 0;
  if (!*end) return Info(409, copy->pending->size, next);
  if (header->upload_end < mirrored || header->upload_start > next) {
    return Info(409, header->upload_end, next);
  }
  const uint64_t excess = std::min(header->upload_end, next) - header->upload_start;
  if (excess > kMaxExcessEntries) return Info(409, header->upload_end, next);

  uint64_t next_entry = next;
  if (std::optional<Answer> stop = StorePackages(*header, **end, body, &next_entry)) return *stop;
  return Commit(*header, **end, next_entry);
}

Answer Mirror::Monitored(std::string_view origin_hash, std::string_view path) {
  const WitnessedLog* log = nullptr;
  for (const WitnessedLog& candidate : logs_) {
    if (tlog::HashToHex(tlog::Sha256(candidate.origin)) == origin_hash) log = &candidate;
  }
  if (log == nullptr) return Plain(404, "unknown log");
  if (path == "checkpoint") {
    Result<LogCopy> copy = state_->Read(log->origin);
    if (!copy) {
      spdlog::error("mirror: cannot read {:?}: {}", log->origin, copy.error());
      return Plain(500, "cannot read the mirror state");
    }
    if (!copy->mirrored) return Plain(404, "no checkpoint of this log mirrored yet");
    return Answer{200, copy->mirrored->note};
  }
  Result<tlog::TileId> tile = tlog::ParseTilePath(path);
  if (!tile) return Plain(404, "not found");
  Result<std::optional<std::string>> data = state_->ServedTile(log->origin, *tile);
  if (!data) {
    spdlog::error("mirror: cannot read {:?}: {}", log->origin, data.error());
    return Plain(500, "cannot read the mirror state");
  }
  if (!*data) return Plain(404, "not in the mirrored tree");
  return Answer{200, std::move(**data), "application/octet-stream"};
}

}  // namespace tuidang::mirror
