// A C2SP tlog-witness (https://c2sp.org/tlog-witness) for any log: it remembers the latest
// checkpoint it cosigned for each configured origin (witness/state.h) and cosigns a new one
// (tlog/cosignature.h, Ed25519 cosignature/v1) only when the log's key signed it and a
// consistency proof leads to it from what it remembers. The HTTP layer
// (witness/http_handler.h) only routes to the two calls below, so tests drive them without
// a socket.
//
// Thread-safe: concurrent calls are serialised by the state's compare-and-set.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/hash.h"
#include "tlog/note.h"
#include "witness/state.h"

namespace tuidang::witness {

// The spec: "The client MUST NOT send more than 63 consistency proof lines" (a proof has at
// most two hashes per level below the root, and 63 is the most any 64-bit tree needs here).
inline constexpr size_t kMaxConsistencyProofLines = 63;
// The content type of a 409's body, the witness's size for the origin.
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";

// A log this witness cosigns: its origin line and the keys whose signature it requires (one
// of them suffices; signatures of other keys are ignored, as signed-note says).
struct WitnessedLog {
  std::string origin;
  std::vector<tlog::NoteVerifier> keys;
};

// The body of POST <prefix>/add-checkpoint.
struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<tlog::Hash> proof;
  std::string checkpoint;  // the signed note, verbatim

  bool operator==(const AddCheckpointRequest&) const = default;
};

// Strict: "old <decimal, no leading zero>\n", at most kMaxConsistencyProofLines lines of
// canonical base64 hashes, an empty line, then the rest as the checkpoint note (checked by the
// caller). Fails on anything else, with the reason.
Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body);
std::string FormatAddCheckpoint(const AddCheckpointRequest& request);

// Why `checkpoint` may not follow the head of `request.old_size` (whose root is `old_root`,
// read only when old_size > 0) once the old size matched, or nullopt when it may: the checks
// that are a 422 (also the mirror's add-checkpoint, mirror/mirror.h).
std::optional<std::string> Inconsistency(const AddCheckpointRequest& request,
                                         const tlog::Checkpoint& checkpoint,
                                         const tlog::Hash& old_root);

// What the HTTP layer sends: a status code and a body of `content_type`.
struct Answer {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class Witness {
 public:
  // POSIX time in seconds, for the cosignatures' timestamps.
  using Clock = std::function<uint64_t()>;
  static uint64_t SystemSeconds();

  // `state` must outlive the witness. Fails if two logs share an origin.
  static Result<std::unique_ptr<Witness>> Create(std::vector<WitnessedLog> logs,
                                                 tlog::Cosigner cosigner, WitnessState* state,
                                                 Clock clock = SystemSeconds);

  // add-checkpoint, every status of the spec: 200 and our cosignature line; 400 for a
  // malformed body or note, or an old size above the checkpoint's; 403 when no trusted key
  // of the origin signed it (or its signature fails); 404 for an unknown origin; 409 with
  // our size (text/x.tlog.size) when `old` is not it; 422 when the proof does not lead from
  // our head to the checkpoint (a non-empty proof from 0, the same size with another root,
  // a size-0 tree whose root is not the empty tree's); 500 when the state cannot be stored.
  // The new head is durable before a 200 is returned.
  Answer AddCheckpoint(std::string_view body);

  // GET <prefix>/<origin hash>/checkpoint: the latest checkpoint cosigned for the log whose
  // origin hashes (SHA-256, lowercase hex) to `origin_hash`, with the log's signatures we
  // verified and our cosignature; 404 when the origin is unknown or never cosigned.
  Answer MonitoredCheckpoint(std::string_view origin_hash);

  const tlog::Cosigner& cosigner() const { return cosigner_; }
  const std::vector<WitnessedLog>& logs() const { return logs_; }

 private:
  Witness(std::vector<WitnessedLog> logs, tlog::Cosigner cosigner, WitnessState* state,
          Clock clock);

  const WitnessedLog* FindLog(std::string_view origin) const;

  std::vector<WitnessedLog> logs_;
  tlog::Cosigner cosigner_;
  WitnessState* state_;
  Clock clock_;
};

}  // namespace tuidang::witness
