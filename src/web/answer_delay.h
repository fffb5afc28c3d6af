// Answers held back until a moment, sent from one thread of their own: the destructive
// receipt actions (withdraw, correct) answer in the same timing class whether or not the
// code exists (receipt.cc). No HTTP thread waits meanwhile. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "core/mutex.h"

namespace tuidang::web {

// A withdrawal commits (fsync) and truncates the WAL, a correction commits: a few to some
// tens of milliseconds on a busy disk; an unknown code costs one indexed read. Answers of
// both leave at the first multiple of this after the request began, so that they fall on
// the same tick unless the disk is more than this slow.
constexpr std::chrono::milliseconds kDestructiveAnswerQuantum{250};

class AnswerDelay {
 public:
  using Clock = std::chrono::steady_clock;
  AnswerDelay();
  // Runs what is still waiting at once (Flush), then joins the thread.
  ~AnswerDelay();
  AnswerDelay(const AnswerDelay&) = delete;
  AnswerDelay& operator=(const AnswerDelay&) = delete;

  // Runs `send` on the delay thread at `when` (at once if it is past). `send` must not throw.
  void At(Clock::time_point when, std::function<void()> send);
  // Runs everything still waiting now, on the caller's thread. The server calls it once it
  // has stopped and before its connections are destroyed.
  void Flush();
  // The first multiple of kDestructiveAnswerQuantum after `began` that is not past now.
  static Clock::time_point NextTick(Clock::time_point began, Clock::time_point now);

 private:
  void Run();
  Mutex mu_;
  CondVar wake_;
  std::multimap<Clock::time_point, std::function<void()>> due_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuidang::web
