#include "intake/publisher.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/random.h"

namespace tuidang {

Publisher::Publisher(PublicationStore* store, PublisherOptions options, Uniform uniform,
                     Sequencer* writer)
    : store_(store), writer_(writer), options_(options), uniform_(std::move(uniform)) {
  if (!uniform_) uniform_ = [](uint32_t bound) { return RandomUniform(bound); };
}

Publisher::~Publisher() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

Result<int64_t> Publisher::PublishBatch() {
  auto ids = store_->ListAccepted(options_.max_batch);
  if (!ids) return Error{ids.error()};
  if (ids->empty()) return int64_t{0};
  // Fisher-Yates with the CSPRNG: every order of the batch equally likely, so the numbers
  // and leaf indexes it is given say nothing of the order in which its statements came.
  for (size_t i = ids->size() - 1; i > 0; --i) {
    size_t j = uniform_(static_cast<uint32_t>(i + 1));
    std::swap((*ids)[i], (*ids)[j]);
  }
  auto numbers = writer_ ? AwaitWrite<Result<std::vector<int64_t>>>(
                               [&](Sequencer::Then<Result<std::vector<int64_t>>> then) {
                                 return writer_->PublishAccepted(std::move(*ids), std::move(then));
                               },
                               Error{"the writer is stopping"})
                         : store_->PublishAccepted(*ids);
  if (!numbers) return Error{numbers.error()};
  return static_cast<int64_t>(numbers->size());
}

Result<int64_t> Publisher::Tick(std::chrono::milliseconds elapsed) {
  auto some = store_->ListAccepted(std::max<int64_t>(1, options_.min_batch));
  if (!some) return Error{some.error()};
  if (some->empty()) {
    waited_ = std::chrono::milliseconds(0);
    return int64_t{0};
  }
  if (static_cast<int64_t>(some->size()) < options_.min_batch && waited_ < options_.max_wait) {
    waited_ += elapsed;  // too few to hide among each other: wait for more
    return int64_t{0};
  }
  waited_ = std::chrono::milliseconds(0);
  return PublishBatch();
}

std::chrono::milliseconds Publisher::NextInterval() {
  int64_t ms = std::max<int64_t>(1, options_.interval.count());
  // Uniform in [ms/2, 3ms/2]: a batch's time says little of when the window began.
  uint32_t spread = static_cast<uint32_t>(std::min<int64_t>(ms, UINT32_MAX - 1) + 1);
  return std::chrono::milliseconds(ms / 2 + uniform_(spread));
}

void Publisher::StartBackground() {
  thread_ = std::thread([this] { Run(); });
}

void Publisher::Run() {
  for (;;) {
    auto interval = NextInterval();
    {
      MutexLock lock(&mu_);
      const auto deadline = std::chrono::steady_clock::now() + interval;
      while (!stopping_ && cv_.WaitUntil(&mu_, deadline)) {
      }
      if (stopping_) return;
    }
    auto published = Tick(interval);
    // No detail of the batch in the log line: its size and time together would be the
    // very information batching hides from a poller.
    if (!published) spdlog::error("publication batch failed: {}", published.error());
  }
}

}  // namespace tuidang
