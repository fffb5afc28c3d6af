// The log's side of C2SP tlog-mirror (https://c2sp.org/tlog-mirror): one push of a
// checkpoint and the entries up to it to one mirror, over the witnesses' HTTP client
// (log/witness_client.h). log/mirroring.h runs the pushes, one thread per mirror, off the
// integrator's path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "log/witness_client.h"
#include "tlog/policy.h"
#include "tlog/tile.h"

namespace tuidang {

// Packages per add-entries request: the spec asks clients for at most 32 (8,192 entries),
// for the body limits of common hosting.
inline constexpr uint64_t kMirrorPackagesPerRequest = 32;

struct MirrorOutcome {
  enum Kind {
    kMirrored,  // the mirror stored the whole tree; `cosignature` is its verified line
    kConflict,  // refused for good (a fork, a rollback, a misconfiguration): `message` says why
    kRetry,     // 429, 5xx, a time-out, a connection error, a mirror fed by someone else
  };
  Kind kind = kRetry;
  long status = 0;                       // the last HTTP status, 0 when none came
  std::optional<uint64_t> pending_size;  // the mirror's pending checkpoint size, when learned
  uint64_t next_entry = 0;               // the mirror's next entry, as far as we know
  std::string cosignature;               // one signature line, with its newline
  uint64_t timestamp = 0;
  std::string message;
  int requests = 0;  // HTTP requests sent
};

// Pushes `checkpoint` to `mirror` (a PolicyWitness: its name, cosignature key and submission
// prefix): add-checkpoint with the proof from `known_pending` (nullopt: not known; the
// witness flow learns it from a 409), then add-entries from `next_entry` (the mirror's 409
// or 202 corrects it) up to the checkpoint's size, kMirrorPackagesPerRequest packages at a
// time, with entries and subtree proofs read from `tiles` (the log's own, covering the
// checkpoint). A 200 must carry a valid cosignature by the mirror's key.
MirrorOutcome PushToMirror(HttpPoster& http, const tlog::PolicyWitness& mirror,
                           tlog::TileReader& tiles, const OfferedCheckpoint& checkpoint,
                           std::optional<uint64_t> known_pending, uint64_t next_entry);

}  // namespace tuidang
