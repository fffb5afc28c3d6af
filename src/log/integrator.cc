#include "log/integrator.h"

#include <spdlog/spdlog.h>

#include "log/tile_reader.h"
#include "tlog/checkpoint.h"

namespace tuidang {

Result<std::unique_ptr<Integrator>> Integrator::Open(LogStore* store,
                                                     const tlog::NoteSigner* signer,
                                                     IntegratorOptions options) {
  auto latest = store->LatestCheckpoint();
  if (!latest) return Error{latest.error()};
  if (!latest->has_value()) {
    std::unique_ptr<Integrator> in(
        new Integrator(store, signer, std::move(options), tlog::TreeBuilder()));
    tlog::AppendResult empty;
    empty.tree_size = 0;
    empty.root = in->builder_.Root();
    if (Status s = in->Publish(empty); !s) return Error{s.message()};
    return in;
  }
  const auto& [size, note] = **latest;
  auto checkpoint = tlog::OpenCheckpoint(note, options.origin, std::array{signer->Verifier()});
  if (!checkpoint) return Error{"the stored checkpoint does not verify: " + checkpoint.error()};
  if (checkpoint->size != size) return Error{"the stored checkpoint is not the latest size"};
  StoreTileReader reader(store);
  auto builder = tlog::TreeBuilder::Resume(reader, size);
  if (!builder) return Error{"cannot resume the log: " + builder.error()};
  if (builder->Root() != checkpoint->root) {
    return Error{"the stored tiles do not hash to the latest checkpoint's root"};
  }
  return std::unique_ptr<Integrator>(
      new Integrator(store, signer, std::move(options), std::move(*builder)));
}

Integrator::~Integrator() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

Status Integrator::Publish(const tlog::AppendResult& result) {
  std::vector<StoredTile> tiles;
  for (const auto& t : result.tiles) {
    // Bundles and level-0 tiles are derived from the leaves themselves (StoreTileReader).
    if (t.id.is_entry_bundle() || t.id.level == 0) continue;
    tiles.push_back(StoredTile{t.id.level, t.id.index, t.id.width, t.data});
  }
  tlog::Checkpoint cp{options_.origin, result.tree_size, result.root, {}};
  auto note = tlog::SignCheckpoint(cp, *signer_);
  if (!note) return Status::Fail("cannot sign the checkpoint: " + note.error());
  if (Status s = store_->SaveCheckpoint(tiles, result.tree_size, *note); !s) return s;
  if (options_.on_checkpoint) options_.on_checkpoint(result.tree_size, *note);
  return Status::Ok();
}

Result<uint64_t> Integrator::IntegrateAll() {
  auto count = store_->LeafCount();
  if (!count) return Error{count.error()};
  while (builder_.size() < *count) {
    {
      MutexLock lock(&mu_);
      if (stopping_) break;  // a large backlog must not hold up the server's stop
    }
    uint64_t begin = builder_.size();
    uint64_t end = std::min(*count, begin + options_.max_leaves_per_checkpoint);
    auto leaves = store_->ReadLeaves(begin, end);
    if (!leaves) return Error{leaves.error()};
    tlog::TreeBuilder before = builder_;
    auto result = builder_.Append(std::span<const std::string>(*leaves));
    if (!result) return Error{result.error()};
    if (Status s = Publish(*result); !s) {
      builder_ = std::move(before);  // the store did not take it: try again next time
      return Error{s.message()};
    }
  }
  return builder_.size();
}

void Integrator::StartBackground(std::function<void()> tick) {
  thread_ = std::thread([this, tick = std::move(tick)] {
    MutexLock lock(&mu_);
    // The first step at once: what was appended while the server was down is integrated
    // without waiting for an interval (and without holding up the server's listen).
    bool first = true;
    while (!stopping_) {
      const auto deadline = std::chrono::steady_clock::now() + options_.interval;
      while (!first && !stopping_ && cv_.WaitUntil(&mu_, deadline)) {
      }
      first = false;
      if (stopping_) break;
      lock.Unlock();
      if (tick) tick();
      if (auto r = IntegrateAll(); !r) spdlog::error("integrator: {}", r.error());
      lock.Lock();
    }
  });
}

}  // namespace tuidang
