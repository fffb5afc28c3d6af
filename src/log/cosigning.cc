#include "log/cosigning.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "log/tile_reader.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tile.h"

namespace tuidang {

namespace {

// Checkpoints kept while waiting for cosignatures: far more than a witness's round trip
// covers at one checkpoint a second, and a bound on memory when witnesses are down.
constexpr size_t kMaxPending = 64;
// A failed write of the served checkpoint is tried again after this.
constexpr auto kServeRetry = std::chrono::seconds(1);

using Clock = std::chrono::steady_clock;

std::string LineOf(const tlog::NoteSignature& s) {
  return std::string(tlog::kSignaturePrefix) + s.name + " " + s.base64 + "\n";
}

// Consistency proofs from the log's own stored tiles.
class StoreConsistency : public ConsistencySource {
 public:
  explicit StoreConsistency(LogStore* store) : tiles_(store) {}
  Result<std::vector<tlog::Hash>> Consistency(uint64_t old_size, uint64_t new_size) override {
    tlog::TileHashReader reader(&tiles_, new_size);
    return tlog::ConsistencyProof(reader, old_size, new_size);
  }

 private:
  StoreTileReader tiles_;
};

}  // namespace

Cosigning::Cosigning(LogStore* store, std::string origin, CosigningOptions options)
    : store_(store),
      origin_(std::move(origin)),
      options_(std::move(options)),
      jitter_(std::random_device{}()) {}

Result<std::unique_ptr<Cosigning>> Cosigning::Start(LogStore* store, const std::string& origin,
                                                    CosigningOptions options,
                                                    PosterFactory posters) {
  auto latest = store->LatestCheckpoint();
  if (!latest) return Error{latest.error()};
  auto served = store->ServedCheckpoint();
  if (!served) return Error{served.error()};
  if (!posters) {
    const auto timeout = options.request_timeout;
    posters = [timeout] { return MakeCurlPoster(timeout); };
  }
  std::vector<std::unique_ptr<HttpPoster>> clients;
  for (size_t i = 0; i < options.policy.witnesses().size(); ++i) {
    auto p = posters();
    if (!p) return Error{p.error()};
    clients.push_back(std::move(*p));
  }
  std::unique_ptr<Cosigning> c(new Cosigning(store, origin, std::move(options)));
  {
    MutexLock lock(&c->mu_);
    c->witnesses_.resize(c->options_.policy.witnesses().size());
    if (latest->has_value()) {
      const auto& [size, note] = **latest;
      c->latest_size_ = size;
      c->have_latest_ = true;
      c->pending_[size] = Pending{note, {}, Clock::now()};
    }
    if (served->has_value()) {
      c->served_size_ = (*served)->first;
      c->served_note_ = (*served)->second;
      // Cosignatures served already for the latest size are kept, not asked for again.
      auto parsed = tlog::ParseNote((*served)->second);
      if (parsed && c->have_latest_ && (*served)->first == c->latest_size_) {
        const auto& ws = c->options_.policy.witnesses();
        const auto& ms = c->options_.mirrors;
        for (size_t i = 0; i < ws.size() + ms.size(); ++i) {
          const tlog::PolicyWitness& w = i < ws.size() ? ws[i] : ms[i - ws.size()];
          if (!w.key.VerifyNote(*parsed)) continue;
          for (const auto& s : parsed->unverified) {
            if (s.name == w.key.name() && s.key_id == w.key.key_id()) {
              c->pending_[c->latest_size_].cosignatures[i] = LineOf(s);
            }
          }
          if (i >= ws.size()) continue;  // a mirror: Mirroring pushes to it again anyway
          c->witnesses_[i].cosigned_size = c->latest_size_;
          c->witnesses_[i].known_size = c->latest_size_;
        }
      }
    }
    c->serve_dirty_ = true;
  }
  c->threads_.emplace_back([raw = c.get()] { raw->RunServer(); });
  for (size_t i = 0; i < clients.size(); ++i) {
    c->threads_.emplace_back([raw = c.get(), i, http = std::move(clients[i])]() mutable {
      raw->RunWitness(i, std::move(http));
    });
  }
  return c;
}

Cosigning::~Cosigning() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) t.join();
}

void Cosigning::OnCheckpoint(uint64_t size, const std::string& signed_checkpoint) {
  {
    MutexLock lock(&mu_);
    if (have_latest_ && size <= latest_size_) return;
    latest_size_ = size;
    have_latest_ = true;
    pending_[size] = Pending{signed_checkpoint, {}, Clock::now()};
    while (pending_.size() > kMaxPending) pending_.erase(pending_.begin());
    serve_dirty_ = true;
  }
  cv_.SignalAll();
}

void Cosigning::OnMirrorCosignature(size_t index, uint64_t size, const std::string& line) {
  {
    MutexLock lock(&mu_);
    if (index >= options_.mirrors.size()) return;
    auto it = pending_.find(size);
    if (it == pending_.end()) return;
    std::string& kept = it->second.cosignatures[options_.policy.witnesses().size() + index];
    if (kept == line) return;
    kept = line;
    serve_dirty_ = true;
  }
  cv_.SignalAll();
}

std::vector<WitnessStatus> Cosigning::Statuses() const {
  MutexLock lock(&mu_);
  std::vector<WitnessStatus> out;
  for (size_t i = 0; i < witnesses_.size(); ++i) {
    const Witness& w = witnesses_[i];
    out.push_back({options_.policy.witnesses()[i].name, w.cosigned_size, w.last_problem,
                   w.cosigned_total, w.conflicts_total, w.failures_total, w.failures > 0});
  }
  return out;
}

bool Cosigning::NeedsAsking(size_t index) const {
  const Witness& w = witnesses_[index];
  return have_latest_ && w.cosigned_size != latest_size_ && w.conflict_size != latest_size_;
}

std::chrono::milliseconds Cosigning::Backoff(int failures) {
  auto wait = options_.backoff_min;
  for (int i = 1; i < failures && wait < options_.backoff_max; ++i) wait *= 2;
  wait = std::min(wait, options_.backoff_max);
  std::uniform_real_distribution<double> factor(0.5, 1.5);
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(wait.count()) * factor(jitter_)));
}

void Cosigning::Apply(size_t index, uint64_t size, const WitnessOutcome& outcome) {
  Witness& w = witnesses_[index];
  const std::string& name = options_.policy.witnesses()[index].name;
  if (outcome.witness_size) w.known_size = outcome.witness_size;
  switch (outcome.kind) {
    case WitnessOutcome::kCosigned:
      if (w.failures > 0 || !w.cosigned_size) {
        spdlog::info("witness {}: cosigned checkpoint {} of {}{}", name, size, origin_,
                     w.failures > 0
                         ? fmt::format(" after {} failed attempts ({})", w.failures,
                                       outcome.requests == 1
                                           ? "one request, one consistency proof"
                                           : "two requests: it answered 409 with its size first")
                         : "");
      }
      w.cosigned_size = size;
      w.known_size = size;
      w.failures = 0;
      ++w.cosigned_total;
      w.last_problem.clear();
      if (auto it = pending_.find(size); it != pending_.end()) {
        it->second.cosignatures[index] = outcome.cosignature;
        serve_dirty_ = true;
      }
      break;
    case WitnessOutcome::kConflict:
      w.conflict_size = size;
      w.failures = 0;  // an answer, not an outage: the back-off starts again after it
      ++w.conflicts_total;
      w.next_attempt = Clock::now() + options_.conflict_wait;
      w.last_problem = outcome.message;
      spdlog::error(
          "WITNESS CONFLICT: witness {} refused checkpoint {} of {} (status {}): {}. It is not "
          "published as witnessed by {}; if this log was not restored from a backup, someone "
          "may be showing another version of it",
          name, size, origin_, outcome.status, outcome.message, name);
      break;
    case WitnessOutcome::kRetry: {
      ++w.failures;
      ++w.failures_total;
      auto wait = Backoff(w.failures);
      w.next_attempt = Clock::now() + wait;
      w.last_problem = outcome.message;
      spdlog::warn("witness {}: {} (checkpoint {}; trying again in {} ms)", name, outcome.message,
                   size, wait.count());
      break;
    }
  }
}

void Cosigning::RunWitness(size_t index, std::unique_ptr<HttpPoster> http) {
  StoreConsistency proofs(store_);
  const tlog::PolicyWitness& witness = options_.policy.witnesses()[index];
  MutexLock lock(&mu_);
  while (!stopping_) {
    if (!NeedsAsking(index)) {
      cv_.Wait(&mu_);
      continue;
    }
    const auto next = witnesses_[index].next_attempt;
    if (Clock::now() < next) {
      cv_.WaitUntil(&mu_, next);
      continue;
    }
    OfferedCheckpoint offered{latest_size_, pending_[latest_size_].signed_note};
    const std::optional<uint64_t> known = witnesses_[index].known_size;
    lock.Unlock();
    WitnessOutcome outcome = AskWitness(*http, witness, proofs, offered, known);
    lock.Lock();
    Apply(index, offered.size, outcome);
    cv_.SignalAll();
  }
}

std::optional<std::pair<uint64_t, std::string>> Cosigning::ToServe() {
  if (!have_latest_) return std::nullopt;
  auto note_of = [](const Pending& p) {
    std::string note = p.signed_note;
    for (const auto& [i, line] : p.cosignatures) note += line;
    return note;
  };
  const Pending& latest = pending_[latest_size_];
  if (!options_.wait_for_quorum || options_.policy.quorum_none()) {
    std::string note = note_of(latest);
    if (IsServed(latest_size_, note)) return std::nullopt;
    return std::pair{latest_size_, std::move(note)};
  }
  const auto& ws = options_.policy.witnesses();
  // The newest checkpoint (not older than the served one) that the quorum cosigned.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (served_size_ && it->first < *served_size_) break;
    std::set<std::string> by;
    for (const auto& [i, line] : it->second.cosignatures) {
      if (i < ws.size()) by.insert(ws[i].name);  // the mirrors are not in the policy
    }
    if (!options_.policy.Met(by)) continue;
    std::string note = note_of(it->second);
    if (IsServed(it->first, note)) return std::nullopt;
    return std::pair{it->first, std::move(note)};
  }
  // None: after quorum_wait since the oldest checkpoint not served, the latest goes out.
  for (const auto& [size, p] : pending_) {
    if (served_size_ && size <= *served_size_) continue;
    if (Clock::now() - p.arrived < options_.quorum_wait) return std::nullopt;
    std::string missing;
    for (size_t i = 0; i < ws.size(); ++i) {
      if (!latest.cosignatures.contains(i)) missing += (missing.empty() ? "" : ", ") + ws[i].name;
    }
    spdlog::warn(
        "checkpoint {} of {} published WITHOUT its quorum after waiting {} s: not cosigned by {}",
        latest_size_, origin_, options_.quorum_wait.count() / 1000, missing);
    return std::pair{latest_size_, note_of(latest)};
  }
  return std::nullopt;
}

bool Cosigning::IsServed(uint64_t size, const std::string& note) const {
  return served_size_ == size && served_note_ == note;
}

void Cosigning::RunServer() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    serve_dirty_ = false;
    if (auto want = ToServe()) {
      lock.Unlock();
      Status s = store_->SaveServedCheckpoint(want->first, want->second);
      lock.Lock();
      if (s) {
        served_size_ = want->first;
        served_note_ = std::move(want->second);
        // Older checkpoints can no longer be served; the latest stays for late cosignatures.
        while (pending_.size() > 1 && pending_.begin()->first < *served_size_) {
          pending_.erase(pending_.begin());
        }
      } else {
        spdlog::error("cosigning: cannot store the served checkpoint: {}", s.message());
        cv_.WaitUntil(&mu_, Clock::now() + kServeRetry);
      }
      continue;
    }
    // Nothing to write: wait for news, or for the oldest unserved checkpoint's time-out.
    std::optional<Clock::time_point> deadline;
    if (options_.wait_for_quorum) {
      for (const auto& [size, p] : pending_) {
        if (served_size_ && size <= *served_size_) continue;
        deadline = p.arrived + options_.quorum_wait;
        break;
      }
    }
    while (!stopping_ && !serve_dirty_) {
      if (deadline) {
        if (!cv_.WaitUntil(&mu_, *deadline)) break;
      } else {
        cv_.Wait(&mu_);
      }
    }
  }
}

}  // namespace tuidang
