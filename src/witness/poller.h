// A witness that polls a log which does not call it (c2sp.org/tlog-witness allows a witness
// to fetch checkpoints itself): so that an organisation can witness a center without the
// center's cooperation, and a center that stops asking its witnesses is still watched.
//
// Each poll fetches the log's checkpoint from its tlog-tiles prefix (`<url>/checkpoint`),
// and when it is newer than the head the witness stored for that origin, the hash tiles
// the consistency proof from that head needs (`<url>/tile/...`, the proof computed here
// from them), then hands both to Witness::AddCheckpoint as the body a log would have sent.
// So a polled checkpoint passes every check a pushed one does (the log's key, the proof
// from the stored root, the durable compare-and-set), and is served the same way on the
// monitoring endpoint. Tiles that do not hash to what the checkpoint and the stored head say
// give a proof that fails: a 422, logged as a conflict, as a fork pushed by a log would be.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "audit/source.h"
#include "core/mutex.h"
#include "witness/state.h"
#include "witness/witness.h"

namespace tuidang::witness {

// The shortest poll interval allowed: a witness must not hammer the logs it watches.
inline constexpr int64_t kMinPollIntervalSeconds = 1;
inline constexpr int64_t kDefaultPollIntervalSeconds = 60;

// A log to poll: its origin (one of the witness's logs) and its tlog-tiles prefix.
struct PolledLog {
  std::string origin;
  std::string url;  // http(s)://host[/prefix], where `checkpoint` and `tile/...` are
  std::chrono::seconds interval{kDefaultPollIntervalSeconds};
};

struct PollOutcome {
  enum Kind {
    kUnchanged,  // the log serves the head already cosigned
    kCosigned,   // a newer checkpoint, now cosigned and stored
    kRetry,      // the log unreachable, a tile missing, a race with a push: poll again later
    kConflict,   // the log serves a fork or a rollback of what was cosigned, or a bad note
  };
  Kind kind = kRetry;
  uint64_t size = 0;  // the checkpoint's size, when it was read
  std::string message;
};

// What a poller remembers between polls of one log: the checkpoint it last found in
// conflict, so that a log that keeps serving one fork is not checked (and the witness's
// refusal not logged) again at every poll.
struct PollMemory {
  std::string refused_note;
  PollOutcome refused;
};

// One poll of `origin` through `source` (paths "checkpoint" and "tile/..."). Never stores
// anything but through `witness` (which must witness `origin`); `state` is read for the head.
// With `memory`, a served note byte for byte the one last refused gives that refusal again.
PollOutcome PollOnce(Witness& witness, WitnessState& state, const std::string& origin,
                     audit::LogSource& source, PollMemory* memory = nullptr);

// One thread per polled log, each polling every `interval` (failures back off, doubling up
// to 16 intervals). Outcomes are logged when they change (a conflict as an error naming the
// origin and sizes). Thread-safe; the destructor stops and joins the threads.
class Poller {
 public:
  // `witness` and `state` must outlive the poller. Fails if a URL cannot be used (not
  // http:// or https://, a query, ...), naming it.
  static Result<std::unique_ptr<Poller>> Start(Witness* witness, WitnessState* state,
                                               std::vector<PolledLog> logs);
  ~Poller();

  // Polls done (any outcome) since the start, for tests.
  uint64_t polls() const EXCLUDES(mu_);

 private:
  Poller(Witness* witness, WitnessState* state) : witness_(witness), state_(state) {}
  void Run(const PolledLog& log, std::unique_ptr<audit::LogSource> source) EXCLUDES(mu_);

  Witness* const witness_;
  WitnessState* const state_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t polls_ GUARDED_BY(mu_) = 0;
  std::vector<PolledLog> logs_;
  std::vector<std::thread> threads_;
};

}  // namespace tuidang::witness
