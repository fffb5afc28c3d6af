#include "witness/poller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/http_source.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tile.h"

namespace tuidang::witness {

namespace {

// A checkpoint is a few lines and signatures: the HTTP layer's add-checkpoint limit.
constexpr size_t kMaxPolledCheckpoint = 64 * 1024;
// Failures back off up to this many poll intervals.
constexpr int kMaxBackoffIntervals = 16;

// The log's tiles over its tlog-tiles prefix.
class SourceTiles : public tlog::TileReader {
 public:
  explicit SourceTiles(audit::LogSource* source) : source_(source) {}
  Result<std::string> ReadTile(const tlog::TileId& tile) override {
    return source_->Fetch(tlog::TilePath(tile));
  }

 private:
  audit::LogSource* source_;
};

PollOutcome Outcome(PollOutcome::Kind kind, uint64_t size, std::string message) {
  return PollOutcome{kind, size, std::move(message)};
}

}  // namespace

namespace {

PollOutcome Poll(Witness& witness, WitnessState& state, const std::string& origin,
                 const std::string& served, audit::LogSource& source);

}  // namespace

PollOutcome PollOnce(Witness& witness, WitnessState& state, const std::string& origin,
                     audit::LogSource& source, PollMemory* memory) {
  auto fetched = source.Fetch("checkpoint");
  if (!fetched) return Outcome(PollOutcome::kRetry, 0, fetched.error());
  if (memory && !memory->refused_note.empty() && *fetched == memory->refused_note) {
    return memory->refused;
  }
  PollOutcome outcome = Poll(witness, state, origin, *fetched, source);
  if (memory) {
    memory->refused_note = outcome.kind == PollOutcome::kConflict ? *fetched : "";
    memory->refused = outcome;
  }
  return outcome;
}

namespace {

PollOutcome Poll(Witness& witness, WitnessState& state, const std::string& origin,
                 const std::string& served, audit::LogSource& source) {
  const auto* log = [&]() -> const WitnessedLog* {
    for (const WitnessedLog& l : witness.logs()) {
      if (l.origin == origin) return &l;
    }
    return nullptr;
  }();
  if (log == nullptr) return Outcome(PollOutcome::kConflict, 0, "the origin is not configured");
  if (served.size() > kMaxPolledCheckpoint) {
    return Outcome(PollOutcome::kConflict, 0,
                   fmt::format("{} is {} bytes, more than a checkpoint can be",
                               source.Locate("checkpoint"), served.size()));
  }
  auto note = tlog::OpenNote(served, log->keys);
  if (!note) {
    return Outcome(PollOutcome::kConflict, 0,
                   fmt::format("{} is not a checkpoint signed by the log's key: {}",
                               source.Locate("checkpoint"), note.error()));
  }
  auto checkpoint = tlog::ParseCheckpoint(note->text);
  if (!checkpoint) {
    return Outcome(PollOutcome::kConflict, 0, "malformed checkpoint: " + checkpoint.error());
  }
  if (checkpoint->origin != origin) {
    return Outcome(
        PollOutcome::kConflict, checkpoint->size,
        fmt::format("the checkpoint is of origin {:?}, not {:?}", checkpoint->origin, origin));
  }
  auto head = state.Latest(origin);
  if (!head) return Outcome(PollOutcome::kRetry, checkpoint->size, head.error());
  const uint64_t ours = head->has_value() ? (*head)->size : 0;
  if (checkpoint->size < ours) {
    return Outcome(PollOutcome::kConflict, checkpoint->size,
                   fmt::format("the log serves a tree of {} leaves, smaller than the {} this "
                               "witness cosigned: a rollback",
                               checkpoint->size, ours));
  }
  if (head->has_value() && checkpoint->size == ours && checkpoint->root == (*head)->root) {
    return Outcome(PollOutcome::kUnchanged, ours, "");
  }
  AddCheckpointRequest request{ours, {}, served};
  if (ours > 0 && checkpoint->size > ours) {
    SourceTiles tiles(&source);
    tlog::TileHashReader reader(&tiles, checkpoint->size);
    auto proof = tlog::ConsistencyProof(reader, ours, checkpoint->size);
    if (!proof) {
      return Outcome(PollOutcome::kRetry, checkpoint->size,
                     fmt::format("no consistency proof from {} to {} from the log's tiles: {}",
                                 ours, checkpoint->size, proof.error()));
    }
    request.proof = std::move(*proof);
  }
  // Through the same checks and the same compare-and-set as a pushed checkpoint.
  const Answer answer = witness.AddCheckpoint(FormatAddCheckpoint(request));
  std::string why = answer.body;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  switch (answer.status) {
    case 200: return Outcome(PollOutcome::kCosigned, checkpoint->size, "");
    case 409:  // a push (or another process on the folder) advanced the head meanwhile
    case 500: return Outcome(PollOutcome::kRetry, checkpoint->size, why);
    default:
      return Outcome(PollOutcome::kConflict, checkpoint->size,
                     fmt::format("refused (as status {} would be): {}", answer.status, why));
  }
}

}  // namespace

Result<std::unique_ptr<Poller>> Poller::Start(Witness* witness, WitnessState* state,
                                              std::vector<PolledLog> logs) {
  std::vector<std::unique_ptr<audit::LogSource>> sources;
  for (const PolledLog& log : logs) {
    audit::HttpOptions options;
    options.parallel = 4;  // a proof touches a few tiles per level
    options.request_timeout = std::chrono::seconds(60);
    options.user_agent = "tuidang-witness";
    auto source = audit::HttpSource::Open(log.url, options);
    if (!source)
      return Error{fmt::format("poll URL {:?} of {:?}: {}", log.url, log.origin, source.error())};
    sources.push_back(std::move(*source));
  }
  std::unique_ptr<Poller> p(new Poller(witness, state));
  p->logs_ = std::move(logs);
  for (size_t i = 0; i < p->logs_.size(); ++i) {
    p->threads_.emplace_back([raw = p.get(), i, source = std::move(sources[i])]() mutable {
      raw->Run(raw->logs_[i], std::move(source));
    });
  }
  return p;
}

Poller::~Poller() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) t.join();
}

uint64_t Poller::polls() const {
  MutexLock lock(&mu_);
  return polls_;
}

void Poller::Run(const PolledLog& log, std::unique_ptr<audit::LogSource> source) {
  int failures = 0;
  std::string last;  // the last problem logged, so that a lasting one is logged once
  PollMemory memory;
  MutexLock lock(&mu_);
  while (!stopping_) {
    lock.Unlock();
    const PollOutcome outcome = PollOnce(*witness_, *state_, log.origin, *source, &memory);
    lock.Lock();
    ++polls_;
    switch (outcome.kind) {
      case PollOutcome::kCosigned:
        spdlog::info("witness: polled {} and cosigned its checkpoint of size {}", log.origin,
                     outcome.size);
        [[fallthrough]];
      case PollOutcome::kUnchanged:
        if (!last.empty()) spdlog::info("witness: polling {} works again", log.origin);
        failures = 0;
        last.clear();
        break;
      case PollOutcome::kRetry:
        ++failures;
        if (outcome.message != last) {
          spdlog::warn("witness: polling {} failed: {} (trying again later)", log.origin,
                       outcome.message);
        }
        last = outcome.message;
        break;
      case PollOutcome::kConflict:
        failures = 0;
        if (outcome.message != last) {
          spdlog::error("WITNESS CONFLICT: polled log {} (checkpoint size {}): {}", log.origin,
                        outcome.size, outcome.message);
        }
        last = outcome.message;
        break;
    }
    const auto wait = log.interval * std::min(1 << std::min(failures, 4), kMaxBackoffIntervals);
    const auto until = std::chrono::steady_clock::now() + wait;
    while (!stopping_ && cv_.WaitUntil(&mu_, until)) {
    }
  }
}

}  // namespace tuidang::witness
