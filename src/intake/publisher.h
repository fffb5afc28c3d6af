// The publisher: web statements are acknowledged as soon as they are durable, but published
// later, in mixed batches. Every `interval` (drawn at random between half and one and a
// half times the setting) it takes every accepted statement, shuffles them with the CSPRNG
// and has the store number and publish them in that order in one transaction. So someone
// who polls the day list or the log's checkpoint sees a whole batch appear at once, its
// numbers and leaves in random order, and learns no arrival time finer than the batch
// (DESIGN.md, privacy; docs/threat-model.md gives the anonymity set this buys).
//
// A batch smaller than `min_batch` waits for the next window, so that a quiet night does
// not publish statements one by one, unless it has already waited `max_wait`. The wait is
// counted in memory only; a restart counts it anew (statements are never lost: they stay
// accepted in the store until a batch publishes them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "core/result.h"
#include "intake/sequencer.h"
#include "store/publication_store.h"

namespace tuidang {

struct PublisherOptions {
  std::chrono::milliseconds interval{600'000};    // the mean time between two batches
  int64_t min_batch = 20;                         // fewer accepted ones wait ...
  std::chrono::milliseconds max_wait{3'600'000};  // ... at most this long
  // The most statements one batch publishes (one transaction); the rest go with the next.
  int64_t max_batch = 100'000;
};

class Publisher {
 public:
  // Randomness for the shuffle and the intervals: uniform in [0, bound). Tests replace it.
  using Uniform = std::function<uint32_t(uint32_t bound)>;

  // `store` must outlive the publisher, and so must `writer` when given: the batches are
  // then written by the sequencer, ordered with the intake's batches and the moderators'
  // writes (the server); without it, by the store directly (a command or test that has no
  // other writer). Does not start the background thread.
  Publisher(PublicationStore* store, PublisherOptions options, Uniform uniform = {},
            Sequencer* writer = nullptr);
  ~Publisher();  // stops the background thread; what is accepted stays accepted
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes every accepted statement now (up to max_batch), in a random order, however
  // few they are. Returns how many were published. Not thread-safe with itself: call it
  // from one thread (the background thread, a command, a test).
  Result<int64_t> PublishBatch();

  // The end of one window that lasted `elapsed`: publishes when at least min_batch
  // statements are accepted, or when they have waited max_wait (counted from the first
  // window that saw some). Returns how many were published (0: none, or waiting). Same
  // thread rule as PublishBatch.
  Result<int64_t> Tick(std::chrono::milliseconds elapsed);

  // Runs Tick after each random interval on a thread of its own until destruction.
  void StartBackground();

  // The next interval: uniform in [interval/2, 3*interval/2].
  std::chrono::milliseconds NextInterval();

 private:
  void Run();

  PublicationStore* const store_;
  Sequencer* const writer_;
  const PublisherOptions options_;
  Uniform uniform_;
  std::chrono::milliseconds waited_{0};  // used by one thread at a time (see Tick)

  Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuidang
