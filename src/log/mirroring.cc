#include "log/mirroring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace tuidang {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

Result<std::unique_ptr<Mirroring>> Mirroring::Start(tlog::TileReader* tiles,
                                                    MirroringOptions options,
                                                    PosterFactory posters) {
  if (!posters) {
    const auto timeout = options.request_timeout;
    posters = [timeout] { return MakeCurlPoster(timeout); };
  }
  std::vector<std::unique_ptr<HttpPoster>> clients;
  for (size_t i = 0; i < options.mirrors.size(); ++i) {
    auto p = posters();
    if (!p) return Error{p.error()};
    clients.push_back(std::move(*p));
  }
  std::unique_ptr<Mirroring> m(new Mirroring(tiles, std::move(options)));
  {
    MutexLock lock(&m->mu_);
    m->mirrors_.resize(m->options_.mirrors.size());
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    m->threads_.emplace_back([raw = m.get(), i, http = std::move(clients[i])]() mutable {
      raw->Run(i, std::move(http));
    });
  }
  return m;
}

Mirroring::Mirroring(tlog::TileReader* tiles, MirroringOptions options)
    : tiles_(tiles), options_(std::move(options)), jitter_(std::random_device{}()) {}

Mirroring::~Mirroring() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) t.join();
}

void Mirroring::OnCheckpoint(uint64_t size, const std::string& signed_checkpoint) {
  {
    MutexLock lock(&mu_);
    if (latest_ && size <= latest_->size) return;
    latest_ = OfferedCheckpoint{size, signed_checkpoint};
  }
  cv_.SignalAll();
}

std::vector<MirrorStatus> Mirroring::Statuses() const {
  MutexLock lock(&mu_);
  std::vector<MirrorStatus> out;
  for (size_t i = 0; i < mirrors_.size(); ++i) {
    const Mirror& m = mirrors_[i];
    out.push_back({options_.mirrors[i].name, m.mirrored_size, m.cosignature, m.last_problem,
                   m.mirrored_total, m.conflicts_total, m.failures_total, m.failures > 0});
  }
  return out;
}

bool Mirroring::NeedsPush(size_t index) const {
  const Mirror& m = mirrors_[index];
  return latest_ && m.mirrored_size != latest_->size && m.conflict_size != latest_->size;
}

std::chrono::milliseconds Mirroring::Backoff(int failures) {
  auto wait = options_.backoff_min;
  for (int i = 1; i < failures && wait < options_.backoff_max; ++i) wait *= 2;
  wait = std::min(wait, options_.backoff_max);
  std::uniform_real_distribution<double> factor(0.5, 1.5);
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(wait.count()) * factor(jitter_)));
}

void Mirroring::Apply(size_t index, uint64_t size, const MirrorOutcome& outcome) {
  Mirror& m = mirrors_[index];
  const std::string& name = options_.mirrors[index].name;
  if (outcome.pending_size) m.pending_size = outcome.pending_size;
  m.next_entry = outcome.next_entry;
  switch (outcome.kind) {
    case MirrorOutcome::kMirrored:
      m.mirrored_size = size;
      m.cosignature = outcome.cosignature;
      m.failures = 0;
      ++m.mirrored_total;
      m.last_problem.clear();
      spdlog::debug("mirror {} stored and cosigned size {} ({} requests)", name, size,
                    outcome.requests);
      return;
    case MirrorOutcome::kRetry:
      ++m.failures;
      ++m.failures_total;
      m.last_problem = outcome.message;
      m.next_attempt = Clock::now() + Backoff(m.failures);
      // A mirror fed a newer checkpoint by someone else, or one that lost its pending
      // state: ask again from what it says, or from scratch.
      if (outcome.pending_size && *outcome.pending_size != size) m.pending_size.reset();
      spdlog::warn("mirror {}: size {} not mirrored yet ({}); retrying", name, size,
                   outcome.message);
      return;
    case MirrorOutcome::kConflict:
      m.conflict_size = size;
      m.failures = 0;  // an answer, not an outage: the back-off starts again after it
      ++m.conflicts_total;
      m.pending_size.reset();
      m.last_problem = outcome.message;
      m.next_attempt = Clock::now() + options_.conflict_wait;
      spdlog::error("MIRROR CONFLICT: mirror {} refused checkpoint {} (status {}): {}", name, size,
                    outcome.status, outcome.message);
      return;
  }
}

void Mirroring::Run(size_t index, std::unique_ptr<HttpPoster> http) {
  const tlog::PolicyWitness& mirror = options_.mirrors[index];
  MutexLock lock(&mu_);
  while (!stopping_) {
    if (!NeedsPush(index)) {
      cv_.Wait(&mu_);
      continue;
    }
    const auto next = mirrors_[index].next_attempt;
    if (Clock::now() < next) {
      cv_.WaitUntil(&mu_, next);
      continue;
    }
    OfferedCheckpoint offered = *latest_;
    const std::optional<uint64_t> pending = mirrors_[index].pending_size;
    const uint64_t next_entry = mirrors_[index].next_entry;
    lock.Unlock();
    MirrorOutcome outcome = PushToMirror(*http, mirror, *tiles_, offered, pending, next_entry);
    if (outcome.kind == MirrorOutcome::kMirrored && options_.on_cosigned) {
      options_.on_cosigned(index, offered.size, outcome.cosignature);
    }
    lock.Lock();
    Apply(index, offered.size, outcome);
  }
}

}  // namespace tuidang
