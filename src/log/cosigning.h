// Cosigning: the log asks its witnesses (tlog-policy, log/witness_client.h) to cosign each
// new checkpoint and keeps what /log/checkpoint serves (LogStore::SaveServedCheckpoint): the
// log's signature and every cosignature collected for that size.
//
// Off the integrator's path: OnCheckpoint only records the checkpoint and wakes the threads
// (one per witness for the HTTP exchanges, one that writes the served checkpoint), so a slow
// or dead witness delays neither the submissions nor the checkpoint's signature.
//
//  - each witness is asked for the latest checkpoint, with the consistency proof from the
//    size it last cosigned (learned from its 409 after a restart of the log);
//  - 429, 5xx, time-outs: back-off, doubling from `backoff_min` to `backoff_max`, each wait
//    drawn between half and one and a half times it (jitter, so that witnesses recovering
//    together are not hit together);
//  - a conflict (422, a 409 without text/x.tlog.size, a witness ahead of the log, ...) is
//    logged as an error naming the witness, the sizes and the status, and that witness is not
//    asked again for that checkpoint;
//  - `wait_for_quorum` off (the default): every checkpoint is served at once, and served
//    again as cosignatures come; on: a checkpoint is served once the policy's quorum
//    cosigned it, or once `quorum_wait` has passed since the first checkpoint not yet
//    served (then logged as a warning naming the witnesses missing).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "log/witness_client.h"
#include "store/log_store.h"
#include "tlog/policy.h"

namespace tuidang {

struct CosigningOptions {
  tlog::Policy policy;  // the witnesses asked (each with a URL) and the quorum
  // The cosigning mirrors (log/mirroring.h pushes to them and hands their cosignatures to
  // OnMirrorCosignature): served beside the witnesses' cosignatures, after them, but not
  // counted in the policy's quorum, which names witnesses only.
  std::vector<tlog::PolicyWitness> mirrors{};
  bool wait_for_quorum = false;
  std::chrono::milliseconds quorum_wait{30000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{300000};
  // After a conflict the witness is asked again only for a newer checkpoint, and not before
  // this: a witness refusing a forked log would otherwise be asked every second.
  std::chrono::milliseconds conflict_wait{60000};
};

// What one witness did, for the /log page, the metrics and tests. The counts are of
// exchanges since this process started (each AskWitness call, its 409 retry included).
struct WitnessStatus {
  std::string name;
  std::optional<uint64_t> cosigned_size;  // the largest size it cosigned since start
  std::string last_problem;               // empty when its last exchange worked
  uint64_t cosigned = 0;                  // exchanges that brought a verified cosignature
  uint64_t conflicts = 0;                 // refusals for good (WitnessOutcome::kConflict)
  uint64_t failures = 0;                  // 429, 5xx, time-outs, connection errors
  bool backing_off = false;               // its last exchange failed: waiting to retry
};

class Cosigning {
 public:
  using PosterFactory = std::function<Result<std::unique_ptr<HttpPoster>>()>;

  // Reads the latest checkpoint and the served one from `store` (cosignatures already served
  // for the latest size are kept), then starts the threads; with no witnesses it only serves
  // each checkpoint. `store` must outlive this. `posters` makes each witness thread's HTTP
  // client (default: libcurl). Fails if the store cannot be read.
  static Result<std::unique_ptr<Cosigning>> Start(LogStore* store, const std::string& origin,
                                                  CosigningOptions options,
                                                  PosterFactory posters = nullptr);
  ~Cosigning();  // stops the threads; a request in flight finishes or times out first

  // The integrator's hook: `signed_checkpoint` of `size` was stored. Never blocks on I/O.
  void OnCheckpoint(uint64_t size, const std::string& signed_checkpoint) EXCLUDES(mu_);

  // Mirroring's hook: mirror `index` (of options.mirrors) stored the tree of `size` and
  // cosigned it with `line` (one signature line, verified by the caller). Kept and served
  // with that checkpoint while it is the latest or not yet served; dropped otherwise (an
  // older tree can no longer be served). Never blocks on I/O.
  void OnMirrorCosignature(size_t index, uint64_t size, const std::string& line) EXCLUDES(mu_);

  std::vector<WitnessStatus> Statuses() const EXCLUDES(mu_);

 private:
  struct Pending {
    std::string signed_note;  // the log's signature only
    // By cosigner: the witness's index, or the number of witnesses + the mirror's index.
    std::map<size_t, std::string> cosignatures;
    std::chrono::steady_clock::time_point arrived;
  };
  struct Witness {
    std::optional<uint64_t> known_size;  // what it holds, as far as we know
    std::optional<uint64_t> cosigned_size;
    std::optional<uint64_t> conflict_size;  // not asked again for this size
    std::chrono::steady_clock::time_point next_attempt{};
    int failures = 0;  // in a row, for the back-off
    std::string last_problem;
    uint64_t cosigned_total = 0;
    uint64_t conflicts_total = 0;
    uint64_t failures_total = 0;
  };

  Cosigning(LogStore* store, std::string origin, CosigningOptions options);
  void RunWitness(size_t index, std::unique_ptr<HttpPoster> http) EXCLUDES(mu_);
  void RunServer() EXCLUDES(mu_);
  bool NeedsAsking(size_t index) const REQUIRES(mu_);
  // The note to serve now and its size, or nullopt to keep the one served.
  std::optional<std::pair<uint64_t, std::string>> ToServe() REQUIRES(mu_);
  bool IsServed(uint64_t size, const std::string& note) const REQUIRES(mu_);
  std::chrono::milliseconds Backoff(int failures) REQUIRES(mu_);
  void Apply(size_t index, uint64_t size, const WitnessOutcome& outcome) REQUIRES(mu_);

  LogStore* const store_;
  const std::string origin_;
  const CosigningOptions options_;

  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t latest_size_ GUARDED_BY(mu_) = 0;
  bool have_latest_ GUARDED_BY(mu_) = false;
  // The checkpoints newer than the one served (and the latest), by size; bounded.
  std::map<uint64_t, Pending> pending_ GUARDED_BY(mu_);
  std::optional<uint64_t> served_size_ GUARDED_BY(mu_);
  std::string served_note_ GUARDED_BY(mu_);
  bool serve_dirty_ GUARDED_BY(mu_) = false;
  std::vector<Witness> witnesses_ GUARDED_BY(mu_);
  std::mt19937_64 jitter_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace tuidang
