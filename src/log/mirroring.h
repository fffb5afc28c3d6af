// Mirroring: the log pushes each new checkpoint and its entries to its configured C2SP
// tlog-mirrors (log/mirror_client.h), as Cosigning asks its witnesses, and off the same path:
// OnCheckpoint only records the checkpoint and wakes one thread per mirror, so a slow or
// dead mirror delays neither submissions nor the checkpoint's signature.
//
//  - each mirror is pushed the latest checkpoint only (a mirror that was down catches up
//    with one add-checkpoint and the entries since its next entry);
//  - 429, 5xx, time-outs: back-off, doubling from backoff_min to backoff_max, each wait
//    drawn between half and one and a half times it (jitter);
//  - a conflict (422, a 409 without its content type, a mirror ahead of the log, a 200
//    without its valid cosignature) is logged as an error naming the mirror, and that
//    mirror is pushed again only for a newer checkpoint, not before conflict_wait.
//
// Each mirror's cosignature is handed to `on_cosigned` (the server gives it to Cosigning,
// which serves it on /log/checkpoint beside the witnesses') and kept for Statuses().
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "log/mirror_client.h"
#include "log/witness_client.h"
#include "tlog/policy.h"
#include "tlog/tile.h"

namespace tuidang {

struct MirroringOptions {
  std::vector<tlog::PolicyWitness> mirrors;  // name, cosignature key, submission prefix
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{300000};
  std::chrono::milliseconds conflict_wait{60000};
  // Called, on the mirror's thread and with no lock held, with each cosignature a mirror
  // returned (verified against the checkpoint): the log serves them (Cosigning). May be null.
  std::function<void(size_t index, uint64_t size, const std::string& line)> on_cosigned;
};

// What one mirror did, for the metrics and tests; the counts are of pushes (PushToMirror
// calls) since this process started.
struct MirrorStatus {
  std::string name;
  std::optional<uint64_t> mirrored_size;  // the largest size it cosigned since start
  std::string cosignature;                // its line for that size
  std::string last_problem;               // empty when its last push worked
  uint64_t mirrored = 0;                  // pushes that ended in its verified cosignature
  uint64_t conflicts = 0;                 // refusals for good (MirrorOutcome::kConflict)
  uint64_t failures = 0;                  // 429, 5xx, time-outs, connection errors
  bool backing_off = false;               // its last push failed: waiting to retry
};

class Mirroring {
 public:
  using PosterFactory = std::function<Result<std::unique_ptr<HttpPoster>>()>;
  // Starts one thread per mirror (none without mirrors). `tiles` (the log's own tiles,
  // thread-safe) must outlive this. `posters` makes each thread's HTTP client (default:
  // libcurl). Fails if a client cannot be made.
  static Result<std::unique_ptr<Mirroring>> Start(tlog::TileReader* tiles, MirroringOptions options,
                                                  PosterFactory posters = nullptr);
  ~Mirroring();  // stops the threads; a request in flight finishes or times out first

  // The integrator's hook: `signed_checkpoint` of `size` was stored, with its tiles. Never
  // blocks on I/O.
  void OnCheckpoint(uint64_t size, const std::string& signed_checkpoint) EXCLUDES(mu_);
  std::vector<MirrorStatus> Statuses() const EXCLUDES(mu_);

 private:
  struct Mirror {
    std::optional<uint64_t> pending_size;
    uint64_t next_entry = 0;
    std::optional<uint64_t> mirrored_size;
    std::string cosignature;
    std::optional<uint64_t> conflict_size;
    std::chrono::steady_clock::time_point next_attempt{};
    int failures = 0;  // in a row, for the back-off
    std::string last_problem;
    uint64_t mirrored_total = 0;
    uint64_t conflicts_total = 0;
    uint64_t failures_total = 0;
  };

  Mirroring(tlog::TileReader* tiles, MirroringOptions options);
  void Run(size_t index, std::unique_ptr<HttpPoster> http) EXCLUDES(mu_);
  bool NeedsPush(size_t index) const REQUIRES(mu_);
  std::chrono::milliseconds Backoff(int failures) REQUIRES(mu_);
  void Apply(size_t index, uint64_t size, const MirrorOutcome& outcome) REQUIRES(mu_);

  tlog::TileReader* const tiles_;
  const MirroringOptions options_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::optional<OfferedCheckpoint> latest_ GUARDED_BY(mu_);
  std::vector<Mirror> mirrors_ GUARDED_BY(mu_);
  std::mt19937_64 jitter_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace tuidang
