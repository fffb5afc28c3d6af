#include "web/answer_delay.h"

namespace tuidang::web {

AnswerDelay::AnswerDelay() : thread_([this] { Run(); }) {}

AnswerDelay::~AnswerDelay() {
  Flush();
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.Signal();
  thread_.join();
}

void AnswerDelay::At(Clock::time_point when, std::function<void()> send) {
  {
    MutexLock lock(&mu_);
    due_.emplace(when, std::move(send));
  }
  wake_.Signal();
}

void AnswerDelay::Flush() {
  std::multimap<Clock::time_point, std::function<void()>> now;
  {
    MutexLock lock(&mu_);
    now.swap(due_);
  }
  for (auto& [when, send] : now) send();
}

AnswerDelay::Clock::time_point AnswerDelay::NextTick(Clock::time_point began,
                                                     Clock::time_point now) {
  auto ticks = (now - began) / kDestructiveAnswerQuantum + 1;
  return began + ticks * kDestructiveAnswerQuantum;
}

void AnswerDelay::Run() {
  MutexLock lock(&mu_);
  for (;;) {
    if (due_.empty()) {
      if (stop_) return;
      wake_.Wait(&mu_);
      continue;
    }
    auto first = due_.begin();
    if (!stop_ && first->first > Clock::now()) {
      wake_.WaitUntil(&mu_, first->first);
      continue;
    }
    std::function<void()> send = std::move(first->second);
    due_.erase(first);
    lock.Unlock();
    send();
    lock.Lock();
  }
}

}  // namespace tuidang::web
