#include "witness/witness.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "tlog/checkpoint.h"
#include "tlog/decimal.h"
#include "tlog/merkle.h"

namespace tuidang::witness {

namespace {

Answer Plain(int status, std::string message) {
  Answer answer;
  answer.status = status;
  answer.body = std::move(message);
  answer.body.push_back('\n');
  return answer;
}

// Takes the line up to the next newline off `rest`; false when no newline is left.
bool NextLine(std::string_view* rest, std::string_view* line) {
  const size_t end = rest->find('\n');
  if (end == std::string_view::npos) return false;
  *line = rest->substr(0, end);
  rest->remove_prefix(end + 1);
  return true;
}

// The note served on the monitoring endpoint: the checkpoint's text, the log signatures we
// verified (never the unknown ones: we vouch for nothing else), and our cosignature.
std::string StoredNote(const tlog::Note& note, std::string_view cosignature_line) {
  std::string stored = note.text;
  stored.push_back('\n');
  for (const tlog::NoteSignature& signature : note.verified) {
    stored += fmt::format("{}{} {}\n", tlog::kSignaturePrefix, signature.name, signature.base64);
  }
  stored.append(cosignature_line);
  return stored;
}

}  // namespace

Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body) {
  AddCheckpointRequest request;
  std::string_view line;
  if (!NextLine(&body, &line) || !line.starts_with("old ") ||
      !tlog::ParseDecimal(line.substr(4), &request.old_size)) {
    return Error{"the first line must be \"old <tree size>\" in decimal, no leading zero"};
  }
  for (;;) {
    if (!NextLine(&body, &line)) return Error{"no empty line before the checkpoint"};
    if (line.empty()) break;
    if (request.proof.size() == kMaxConsistencyProofLines) {
      return Error{fmt::format("more than {} consistency proof lines", kMaxConsistencyProofLines)};
    }
    Result<tlog::Hash> hash = tlog::HashFromBase64(line);
    if (!hash) {
      return Error{fmt::format("consistency proof line {} is not a base64 SHA-256 hash",
                               request.proof.size() + 1)};
    }
    request.proof.push_back(*hash);
  }
  request.checkpoint = std::string(body);
  return request;
}

std::string FormatAddCheckpoint(const AddCheckpointRequest& request) {
  std::string body = fmt::format("old {}\n", request.old_size);
  for (const tlog::Hash& hash : request.proof) body += tlog::HashToBase64(hash) + "\n";
  body.push_back('\n');
  body += request.checkpoint;
  return body;
}

std::optional<std::string> Inconsistency(const AddCheckpointRequest& request,
                                         const tlog::Checkpoint& checkpoint,
                                         const tlog::Hash& old_root) {
  if (checkpoint.size == 0 && checkpoint.root != tlog::EmptyRoot()) {
    return "a tree of size 0 must have the empty tree's root hash";
  }
  if (request.old_size == 0) {
    if (!request.proof.empty()) return "the consistency proof from size 0 must be empty";
    return std::nullopt;
  }
  if (request.old_size == checkpoint.size) {
    if (checkpoint.root != old_root) return "same tree size with a different root hash";
    if (!request.proof.empty()) return "the consistency proof between equal sizes must be empty";
    return std::nullopt;
  }
  if (Status s = tlog::VerifyConsistency(request.old_size, checkpoint.size, request.proof, old_root,
                                         checkpoint.root);
      !s) {
    return "the consistency proof does not verify: " + s.message();
  }
  return std::nullopt;
}

uint64_t Witness::SystemSeconds() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

Result<std::unique_ptr<Witness>> Witness::Create(std::vector<WitnessedLog> logs,
                                                 tlog::Cosigner cosigner, WitnessState* state,
                                                 Clock clock) {
  std::set<std::string> origins;
  for (const WitnessedLog& log : logs) {
    if (!origins.insert(log.origin).second) {
      return Error{fmt::format("log origin {:?} is listed twice", log.origin)};
    }
    if (log.keys.empty()) return Error{fmt::format("log {:?} has no key", log.origin)};
  }
  return std::unique_ptr<Witness>(
      new Witness(std::move(logs), std::move(cosigner), state, std::move(clock)));
}

Witness::Witness(std::vector<WitnessedLog> logs, tlog::Cosigner cosigner, WitnessState* state,
                 Clock clock)
    : logs_(std::move(logs)),
      cosigner_(std::move(cosigner)),
      state_(state),
      clock_(std::move(clock)) {}

const WitnessedLog* Witness::FindLog(std::string_view origin) const {
  for (const WitnessedLog& log : logs_) {
    if (log.origin == origin) return &log;
  }
  return nullptr;
}

Answer Witness::AddCheckpoint(std::string_view body) {
  Result<AddCheckpointRequest> request = ParseAddCheckpoint(body);
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

  Answer answer;
  const Status stored = state_->Advance(
      checkpoint->origin,
      [&](const std::optional<CosignedHead>& current) -> std::optional<CosignedHead> {
        const uint64_t ours = current ? current->size : 0;
        if (request->old_size != ours) {
          answer = Plain(409, std::to_string(ours));
          answer.content_type = std::string(kTlogSizeContentType);
          return std::nullopt;
        }
        if (std::optional<std::string> why =
                Inconsistency(*request, *checkpoint, current ? current->root : tlog::Hash{})) {
          // Signed by the log and not consistent with what it signed before: evidence of
          // a fork or a rollback, worth an operator's look (the spec allows keeping it).
          spdlog::warn("witness: refused {:?} at size {} from old size {}: {}", checkpoint->origin,
                       checkpoint->size, request->old_size, *why);
          answer = Plain(422, *why);
          return std::nullopt;
        }
        Result<std::string> line = cosigner_.Cosign(note->text, clock_());
        if (!line) {
          spdlog::error("witness: cannot cosign: {}", line.error());
          answer = Plain(500, "cannot cosign");
          return std::nullopt;
        }
        answer = Answer{200, *line};
        return CosignedHead{checkpoint->size, checkpoint->root, StoredNote(*note, *line)};
      });
  if (!stored) {
    spdlog::error("witness: cannot store the state of {:?}: {}", checkpoint->origin,
                  stored.message());
    return Plain(500, "cannot store the witness state");
  }
  return answer;
}

Answer Witness::MonitoredCheckpoint(std::string_view origin_hash) {
  for (const WitnessedLog& log : logs_) {
    if (tlog::HashToHex(tlog::Sha256(log.origin)) != origin_hash) continue;
    Result<std::optional<CosignedHead>> head = state_->Latest(log.origin);
    if (!head) {
      spdlog::error("witness: cannot read the state of {:?}: {}", log.origin, head.error());
      return Plain(500, "cannot read the witness state");
    }
    if (!*head) return Plain(404, "never cosigned a checkpoint of this log");
    return Answer{200, (*head)->checkpoint};
  }
  return Plain(404, "unknown log");
}

}  // namespace tuidang::witness
