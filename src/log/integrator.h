// The integrator: the task that turns appended leaves into the public log. It reads the
// leaves that the sequencer (and withdrawals) appended past the last checkpoint, computes
// their tiles, and stores the tiles and the new signed checkpoint in one durable
// transaction, so no checkpoint ever names a tree whose tiles are not stored.
//
// Several integrators may share one log (servers on one PostgreSQL database, each with the
// log's key): the store takes a checkpoint only if it extends the latest one stored
// (LogStore::SaveCheckpoint's fence), and an integrator fenced off takes up the latest
// checkpoint from the store (its tiles, checked against its root) before it goes on.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "store/log_store.h"
#include "tlog/builder.h"
#include "tlog/note.h"

namespace tuidang {

struct IntegratorOptions {
  std::string origin;                            // the checkpoint's first line
  std::chrono::milliseconds interval{1000};      // how soon a new leaf is checkpointed
  uint64_t max_leaves_per_checkpoint = 1 << 16;  // bounds the memory of one step
  // Called on the integrator's thread after each checkpoint is stored (its size and signed
  // note), the first one of a new log included: the server's Cosigning::OnCheckpoint, which
  // returns at once. Must outlive the integrator.
  std::function<void(uint64_t size, const std::string& signed_checkpoint)> on_checkpoint = nullptr;
};

class Integrator {
 public:
  // Picks up the log at the store's latest checkpoint (checking that the stored tiles hash
  // to its root), or starts it with a signed checkpoint of the empty tree. `store` and
  // `signer` must outlive the integrator. Does not start the background thread.
  static Result<std::unique_ptr<Integrator>> Open(LogStore* store, const tlog::NoteSigner* signer,
                                                  IntegratorOptions options);
  ~Integrator();

  // Takes up what other integrators published, then integrates every leaf appended so far,
  // in steps of at most max_leaves_per_checkpoint, each with its checkpoint (unless another
  // integrator is publishing them at this moment: it leaves them to it). Returns the tree
  // size of the latest checkpoint it knows. Not thread-safe with itself: call it from one
  // thread (the background thread, or a command).
  Result<uint64_t> IntegrateAll();

  // Runs `tick` (if any) then IntegrateAll at once and then every `interval` on a thread of
  // its own until destruction (IntegrateAll stops between steps once destruction begins). The
  // server's tick is StatementReader::Refresh, so that what another process wrote (tuidang
  // withdraw) reaches the totals as its leaves reach the log.
  void StartBackground(std::function<void()> tick = nullptr);

 private:
  Integrator(LogStore* store, const tlog::NoteSigner* signer, IntegratorOptions options,
             tlog::TreeBuilder builder)
      : store_(store),
        signer_(signer),
        options_(std::move(options)),
        builder_(std::move(builder)) {}
  // Signs and stores the checkpoint of `result` if the latest stored is still of size
  // `after` (LogStore::SaveCheckpoint): true when stored, false when fenced off.
  Result<bool> Publish(const tlog::AppendResult& result, std::optional<uint64_t> after);
  // Makes builder_ the tree of the latest stored checkpoint (verified with the log's key,
  // its tiles checked against its root) when that is not the one builder_ holds already.
  Status Follow();

  LogStore* const store_;
  const tlog::NoteSigner* const signer_;
  const IntegratorOptions options_;
  tlog::TreeBuilder builder_;  // used by one thread at a time (see IntegrateAll)
  bool published_ = false;     // builder_ is the tree of a stored checkpoint (same thread)

  Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuidang
