#include "log/integrator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log/tile_reader.h"
#include "tlog/checkpoint.h"

namespace tuidang {

Result<std::unique_ptr<Integrator>> Integrator::Open(LogStore* store,
                                                     const tlog::NoteSigner* signer,
                                                     IntegratorOptions options) {
  std::unique_ptr<Integrator> in(
      new Integrator(store, signer, std::move(options), tlog::TreeBuilder()));
  auto latest = store->LatestCheckpoint();
  if (!latest) return Error{latest.error()};
  if (!latest->has_value()) {
    tlog::AppendResult empty;
    empty.tree_size = 0;
    empty.root = in->builder_.Root();
    auto saved = in->Publish(empty, std::nullopt);
    if (!saved) return Error{saved.error()};
    if (*saved) {
      in->published_ = true;
      return in;
    }
    // Another server started the log at the same moment: follow it.
  }
  if (Status s = in->Follow(); !s) return Error{s.message()};
  return in;
}

Status Integrator::Follow() {
  auto latest = store_->LatestCheckpoint();
  if (!latest) return Status::Fail(latest.error());
  if (!latest->has_value()) return Status::Fail("the log has no checkpoint");
  const auto& [size, note] = **latest;
  if (published_ && size == builder_.size()) return Status::Ok();  // nothing new
  if (published_ && size < builder_.size()) {
    return Status::Fail(
        fmt::format("the stored log ends at a checkpoint of size {}, older than the {} this server "
                    "published: was the database restored from a backup? (nothing integrated)",
                    size, builder_.size()));
  }
  auto checkpoint = tlog::OpenCheckpoint(note, options_.origin, std::array{signer_->Verifier()});
  if (!checkpoint)
    return Status::Fail("the stored checkpoint does not verify: " + checkpoint.error());
  if (checkpoint->size != size) return Status::Fail("the stored checkpoint is not the latest size");
  StoreTileReader reader(store_);
  auto builder = tlog::TreeBuilder::Resume(reader, size);
  if (!builder) return Status::Fail("cannot resume the log: " + builder.error());
  if (builder->Root() != checkpoint->root) {
    return Status::Fail("the stored tiles do not hash to the latest checkpoint's root");
  }
  builder_ = std::move(*builder);
  published_ = true;
  return Status::Ok();
}

Integrator::~Integrator() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

Result<bool> Integrator::Publish(const tlog::AppendResult& result, std::optional<uint64_t> after) {
  std::vector<StoredTile> tiles;
  for (const auto& t : result.tiles) {
    // Bundles are derived from the leaves themselves (StoreTileReader), and so are partial
    // level-0 tiles; a full level-0 tile is stored (32 bytes a leaf), so that a proof or a
    // served tile reads one row rather than its 256 leaves (docs/performance.md).
    if (t.id.is_entry_bundle() || (t.id.level == 0 && !t.id.is_full())) continue;
    tiles.push_back(StoredTile{t.id.level, t.id.index, t.id.width, t.data});
  }
  tlog::Checkpoint cp{options_.origin, result.tree_size, result.root, {}};
  auto note = tlog::SignCheckpoint(cp, *signer_);
  if (!note) return Error{"cannot sign the checkpoint: " + note.error()};
  auto saved = store_->SaveCheckpoint(tiles, after, result.tree_size, *note);
  if (!saved || !*saved) return saved;
  if (options_.on_checkpoint) options_.on_checkpoint(result.tree_size, *note);
  return true;
}

Result<uint64_t> Integrator::IntegrateAll() {
  // What another integrator (another server on the same database) published since this
  // one's last step is taken up first: this one then extends the latest checkpoint, never
  // its own older view.
  if (Status s = Follow(); !s) return Error{s.message()};
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
    auto saved = Publish(*result, begin);
    if (!saved || !*saved) {
      builder_ = std::move(before);  // the store did not take it: try again next time
      if (!saved) return Error{saved.error()};
      // Fenced off: another integrator published meanwhile, or is publishing now. Take up
      // what it published; if it is still at it, leave the rest to it (or the next step).
      if (Status s = Follow(); !s) return Error{s.message()};
      if (builder_.size() == begin) break;
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
