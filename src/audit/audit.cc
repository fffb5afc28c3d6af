#include "audit/audit.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <vector>

#include "audit/reread.h"
#include "core/leaf.h"
#include "tlog/hash.h"
#include "tlog/merkle.h"
#include "tlog/tile.h"

namespace tuidang::audit {

namespace {

using tlog::Hash;
using tlog::kTileHeight;
using tlog::kTileWidth;
using tlog::TileId;

uint64_t Shr(uint64_t x, int s) { return s >= 64 ? 0 : x >> s; }

// Hashes at tile level `level` of a tree of `size` leaves.
uint64_t NodesAt(int level, uint64_t size) { return Shr(size, kTileHeight * level); }

uint64_t TilesAt(int level, uint64_t size) {
  const uint64_t nodes = NodesAt(level, size);
  return nodes / kTileWidth + (nodes % kTileWidth != 0);
}

TileId TileAt(int level, uint64_t index, uint64_t size) {
  const uint64_t left = NodesAt(level, size) - index * kTileWidth;
  return TileId{level, index, static_cast<int>(std::min<uint64_t>(kTileWidth, left))};
}

TileId BundleOf(const TileId& tile) {
  return TileId{tlog::kEntryBundleLevel, tile.index, tile.width};
}

// One audit's walk over the tiles of a tree of `size_` leaves, in bounded memory: a batch of
// level-0 tiles with their bundles, at most 255 hashes per tile level waiting for the tile
// above them, the tiles kept for the roots, the tally (days and withdrawals) and the
// rereader's cache. Nothing is kept per leaf.
class Walk {
 public:
  Walk(LogSource& source, const AuditOptions& options, uint64_t size, const Hash& root,
       std::optional<uint64_t> previous_size, std::optional<uint64_t> snapshot_size,
       AuditReport* report)
      : source_(source),
        options_(options),
        size_(size),
        previous_size_(previous_size),
        rereader_(source, size, root),
        tally_([this](uint64_t index) { return Reread(index); }, snapshot_size),
        report_(report) {
    progress_.entries_total = size;
    for (int level = 0; NodesAt(level, size) > 0; ++level) {
      progress_.tiles_total += TilesAt(level, size);
      pending_.emplace_back();
      next_tile_.push_back(0);
    }
    progress_.tiles_total += TilesAt(0, size);  // the entry bundles
  }

  // Verifies every bundle and tile and counts the entries.
  Status Run() {
    if (Status s = Level0(); !s) return s;
    return Finish();
  }

  // The root of the first `size` leaves, from the tiles kept on the way.
  // REQUIRES: Run() succeeded; size is size_ or the previous size.
  Result<Hash> Root(uint64_t size) {
    tlog::TileHashReader reader(&kept_, size);
    return tlog::TreeRoot(reader, size);
  }

  const Tally& tally() const { return tally_; }
  // The first entry read again that the checkpoint's tree did not prove, if any. Reported
  // after the tiles' own checks: a tampered tile, which they name precisely, also breaks
  // the proof, so the walk goes on with the entry as read and fails at the end.
  const std::optional<std::string>& unproven() const { return unproven_; }

 private:
  Result<std::string> Reread(uint64_t index) {
    std::string unproven;
    Result<std::string> entry = rereader_.Read(index, &unproven);
    if (entry && !unproven.empty() && !unproven_) {
      unproven_ = fmt::format("leaf {}, withdrawn later: {}", index, unproven);
    }
    return entry;
  }

  // The contents of `tiles`, in order. A partial tile that is missing is read from the full
  // tile it grew into, when that exists: the spec lets a log (or a mirror) keep only that.
  Result<std::vector<std::string>> FetchTiles(std::span<const TileId> tiles) {
    std::vector<std::string> paths;
    paths.reserve(tiles.size());
    for (const TileId& t : tiles) paths.push_back(LogPath(t));
    std::vector<Fetched> fetched = source_.FetchAll(paths);

    std::vector<size_t> missing;
    std::vector<std::string> full_paths;
    for (size_t i = 0; i < tiles.size(); ++i) {
      if (!fetched[i]) return Error{fetched[i].error()};
      if (fetched[i]->has_value()) continue;
      if (tiles[i].is_full()) return Error{source_.NotFoundMessage(paths[i])};
      missing.push_back(i);
      full_paths.push_back(LogPath(TileId{tiles[i].level, tiles[i].index, kTileWidth}));
    }
    if (!missing.empty()) {
      std::vector<Fetched> full = source_.FetchAll(full_paths);
      for (size_t j = 0; j < missing.size(); ++j) {
        if (!full[j]) return Error{full[j].error()};
        if (!full[j]->has_value()) return Error{source_.NotFoundMessage(paths[missing[j]])};
        fetched[missing[j]] = std::move(full[j]);
      }
    }

    std::vector<std::string> out;
    out.reserve(tiles.size());
    for (Fetched& f : fetched) {
      report_->bytes_fetched += (*f)->size();
      out.push_back(std::move(**f));
    }
    report_->tiles_fetched += tiles.size();
    progress_.tiles_done += tiles.size();
    return out;
  }

  // Keeps the hashes of the tiles that the roots of the tree and of the previous tree need:
  // at each level, the one holding the last node of either size.
  void Keep(const TileId& tile, std::span<const Hash> hashes) {
    const uint64_t last = NodesAt(tile.level, size_) / kTileWidth;
    const bool previous =
        previous_size_ && NodesAt(tile.level, *previous_size_) / kTileWidth == tile.index;
    if (tile.index == last || previous) kept_.Put(tile, tlog::EncodeTile(hashes));
  }

  // A full tile's root is a hash that the tile above must hold.
  void Carry(const TileId& tile, std::span<const Hash> hashes) {
    if (tile.is_full())
      pending_[static_cast<size_t>(tile.level) + 1].push_back(tlog::RootFromHashes(hashes));
  }

  void ReportProgress() {
    progress_.entries_done = tally_.entries();
    if (options_.progress) options_.progress(progress_);
  }

  Status Level0() {
    const uint64_t count = TilesAt(0, size_);
    const size_t batch = std::max<size_t>(1, options_.batch_tiles);
    std::vector<TileId> ids;
    for (uint64_t first = 0; first < count; first += batch) {
      ids.clear();
      for (uint64_t n = first; n < std::min<uint64_t>(count, first + batch); ++n) {
        const TileId tile = TileAt(0, n, size_);
        ids.push_back(BundleOf(tile));
        ids.push_back(tile);
      }
      Result<std::vector<std::string>> data = FetchTiles(ids);
      if (!data) return Status::Fail(data.error());
      PrefetchWithdrawn(ids, *data);
      for (size_t i = 0; i < ids.size(); i += 2) {
        if (Status s = CheckBundle(ids[i + 1], (*data)[i], (*data)[i + 1]); !s) return s;
      }
      if (Status s = UpperTiles(/*finish=*/false); !s) return s;
      ReportProgress();
    }
    return Status::Ok();
  }

  // The leaves that this batch's withdrawals cancel, fetched again in one round trip.
  void PrefetchWithdrawn(std::span<const TileId> ids, std::span<const std::string> data) {
    std::vector<uint64_t> targets;
    for (size_t i = 0; i < ids.size(); i += 2) {
      Result<std::vector<std::string_view>> entries = tlog::ParseEntryBundle(data[i], ids[i].width);
      if (!entries) continue;  // CheckBundle reports it
      for (std::string_view e : *entries) {
        Result<ParsedLeaf> leaf = DecodeLeaf(e);
        if (leaf && leaf->withdrawal) targets.push_back(leaf->withdrawal->cancelled);
      }
    }
    if (!targets.empty()) rereader_.Prefetch(targets);
  }

  // Entry bundle against level-0 tile `tile`, then the entries counted.
  Status CheckBundle(const TileId& tile, std::string_view bundle, std::string_view tile_data) {
    const std::string bundle_path = LogPath(BundleOf(tile));
    Result<std::vector<std::string_view>> entries = tlog::ParseEntryBundle(bundle, tile.width);
    if (!entries) {
      return Status::Fail(fmt::format("{}: {}", source_.Locate(bundle_path), entries.error()));
    }
    Result<std::vector<Hash>> hashes = tlog::DecodeTile(tile_data, tile.width);
    if (!hashes) {
      return Status::Fail(fmt::format("{}: {}", source_.Locate(LogPath(tile)), hashes.error()));
    }
    const uint64_t base = tile.index * kTileWidth;
    for (size_t i = 0; i < entries->size(); ++i) {
      const Hash leaf = tlog::LeafHash((*entries)[i]);
      if (leaf != (*hashes)[i]) {
        return Status::Fail(fmt::format(
            "tile mismatch at {} ({}): leaf {}, entry {} of {}, hashes to {} but the tile "
            "holds {}",
            tlog::TilePath(tile), source_.Locate(LogPath(tile)), base + i, i,
            tlog::TilePath(BundleOf(tile)), tlog::HashToBase64(leaf),
            tlog::HashToBase64((*hashes)[i])));
      }
      if (Status s = tally_.Add(base + i, (*entries)[i]); !s) {
        return Status::Fail(fmt::format("{} (in {})", s.message(), source_.Locate(bundle_path)));
      }
    }
    Carry(tile, *hashes);
    Keep(tile, *hashes);
    return Status::Ok();
  }

  // Checks every upper tile whose hashes below are all known: the full ones as soon as 256
  // are pending, and with `finish` (all of level 0 done) the partial ones at the end of each
  // level, lowest level first, since a full tile's root goes to the level above.
  Status UpperTiles(bool finish) {
    for (;;) {
      std::vector<TileId> ready;
      for (size_t level = 1; level < pending_.size(); ++level) {
        const uint64_t nodes = NodesAt(static_cast<int>(level), size_);
        const uint64_t done = std::min(next_tile_[level] * kTileWidth, nodes);
        const uint64_t known = done + pending_[level].size();
        if (known > nodes) {
          return Status::Fail(fmt::format("audit: {} nodes at tile level {}, want {} (a bug)",
                                          known, level, nodes));
        }
        if (pending_[level].size() >= kTileWidth || (finish && known == nodes && done < nodes)) {
          ready.push_back(TileAt(static_cast<int>(level), next_tile_[level], size_));
        }
      }
      if (ready.empty()) return Status::Ok();
      Result<std::vector<std::string>> data = FetchTiles(ready);
      if (!data) return Status::Fail(data.error());
      for (size_t j = 0; j < ready.size(); ++j) {
        if (Status s = CheckUpper(ready[j], (*data)[j]); !s) return s;
      }
    }
  }

  // An upper tile against the roots of the full tiles of the level below, kept in pending_.
  Status CheckUpper(const TileId& tile, std::string_view data) {
    std::vector<Hash>& below = pending_[static_cast<size_t>(tile.level)];
    Result<std::vector<Hash>> hashes = tlog::DecodeTile(data, tile.width);
    if (!hashes) {
      return Status::Fail(fmt::format("{}: {}", source_.Locate(LogPath(tile)), hashes.error()));
    }
    for (size_t i = 0; i < hashes->size(); ++i) {
      const uint64_t node = tile.index * kTileWidth + i;
      if ((*hashes)[i] != below[i]) {
        return Status::Fail(
            fmt::format("tile mismatch at {} ({}): hash {} is {} but level-{} tile {} hashes to {}",
                        tlog::TilePath(tile), source_.Locate(LogPath(tile)), i,
                        tlog::HashToBase64((*hashes)[i]), tile.level - 1,
                        tlog::TilePath(TileId{tile.level - 1, node, kTileWidth}),
                        tlog::HashToBase64(below[i])));
      }
    }
    below.erase(below.begin(), below.begin() + static_cast<std::ptrdiff_t>(hashes->size()));
    ++next_tile_[static_cast<size_t>(tile.level)];
    Carry(tile, *hashes);
    Keep(tile, *hashes);
    return Status::Ok();
  }

  // The partial tiles at the end of each upper level, and a check that nothing is left over.
  Status Finish() {
    if (Status s = UpperTiles(/*finish=*/true); !s) return s;
    for (size_t level = 1; level < pending_.size(); ++level) {
      const uint64_t nodes = NodesAt(static_cast<int>(level), size_);
      const uint64_t known =
          std::min(next_tile_[level] * kTileWidth, nodes) + pending_[level].size();
      if (!pending_[level].empty() || known < nodes) {
        return Status::Fail(
            fmt::format("audit: {} nodes at tile level {}, want {} (a bug)", known, level, nodes));
      }
    }
    report_->tiles_refetched = rereader_.tiles_fetched();
    report_->bytes_refetched = rereader_.bytes_fetched();
    ReportProgress();
    return Status::Ok();
  }

  LogSource& source_;
  const AuditOptions& options_;
  const uint64_t size_;
  const std::optional<uint64_t> previous_size_;
  EntryRereader rereader_;  // before tally_, which reads through it
  Tally tally_;
  AuditReport* report_;
  AuditProgress progress_;
  // pending_[L]: roots of full level-(L-1) tiles not yet checked against level-L tile
  // next_tile_[L] (fewer than 256 once checked); index 0 unused.
  std::vector<std::vector<Hash>> pending_;
  std::vector<uint64_t> next_tile_;
  tlog::MemoryTileStore kept_;  // see Keep
  std::optional<std::string> unproven_;
};

// The published stats, if any, with where they came from.
Result<std::optional<PublishedStats>> FetchStats(LogSource& source, std::string* location) {
  for (std::string_view path : kStatsPaths) {
    Fetched fetched = source.FetchIfExists(path);
    if (!fetched) return Error{fetched.error()};
    if (!fetched->has_value()) continue;
    *location = source.Locate(path);
    Result<PublishedStats> stats = ParseStats(**fetched);
    if (!stats) return Error{fmt::format("{} ({})", stats.error(), *location)};
    return std::optional<PublishedStats>(std::move(*stats));
  }
  return std::optional<PublishedStats>();
}

// Opens the checkpoint note with the log's key, telling a malformed note, a bad signature and
// a bad checkpoint text apart.
Result<tlog::Checkpoint> OpenLogCheckpoint(std::string_view note, const tlog::NoteVerifier& key,
                                           std::string_view origin, std::string_view where) {
  if (Result<tlog::Note> parsed = tlog::ParseNote(note); !parsed) {
    return Error{
        fmt::format("malformed checkpoint: {} is not a signed note ({})", where, parsed.error())};
  }
  Result<tlog::Checkpoint> checkpoint = tlog::OpenCheckpoint(note, origin, std::span(&key, 1));
  if (checkpoint) return checkpoint;
  if (checkpoint.error().starts_with("note:")) {
    return Error{fmt::format("bad signature: {} is not signed by {}+{:08x} ({})", where, key.name(),
                             key.key_id(), checkpoint.error())};
  }
  return Error{fmt::format("bad checkpoint: {}: {}", where, checkpoint.error())};
}

// How long the checkpoint may lag behind the stats (the site signs within about a second).
constexpr std::chrono::seconds kStatsCatchUp{10};

}  // namespace

Result<AuditReport> Audit(LogSource& source, const tlog::NoteVerifier& key, std::string_view origin,
                          std::optional<std::string> previous_checkpoint,
                          const AuditOptions& options) {
  AuditReport report;

  // The stats first: a checkpoint fetched after them covers at least what they count, when
  // the site publishes them from its log.
  Result<std::optional<PublishedStats>> stats = FetchStats(source, &report.stats_location);
  if (!stats) return Error{stats.error()};
  if (!stats->has_value() && options.require_stats) {
    return Error{fmt::format("no stats: {}", source.NotFoundMessage(kStatsPaths[0]))};
  }

  // The site counts a statement as soon as it is durable and signs a checkpoint for it
  // within about a second: when the stats describe a larger tree than the checkpoint, wait
  // for the checkpoint to catch up (kStatsCatchUp at most) instead of failing an honest log.
  Result<std::string> note = source.Fetch(kCheckpointPath);
  if (!note) return Error{note.error()};
  Result<tlog::Checkpoint> checkpoint = OpenLogCheckpoint(
      *note, key, origin, fmt::format("the checkpoint at {}", source.Locate(kCheckpointPath)));
  if (!checkpoint) return Error{checkpoint.error()};
  if (stats->has_value() && (*stats)->tree_size) {
    auto deadline = std::chrono::steady_clock::now() + kStatsCatchUp;
    while (checkpoint->size < *(*stats)->tree_size && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      note = source.Fetch(kCheckpointPath);
      if (!note) return Error{note.error()};
      checkpoint = OpenLogCheckpoint(
          *note, key, origin, fmt::format("the checkpoint at {}", source.Locate(kCheckpointPath)));
      if (!checkpoint) return Error{checkpoint.error()};
    }
  }
  const uint64_t size = checkpoint->size;
  report.checkpoint = *checkpoint;
  report.signed_checkpoint = std::move(*note);

  std::optional<tlog::Checkpoint> previous;
  if (previous_checkpoint) {
    Result<tlog::Checkpoint> opened =
        OpenLogCheckpoint(*previous_checkpoint, key, origin, "the saved checkpoint");
    if (!opened) return Error{opened.error()};
    previous = *opened;
    if (previous->size > size) {
      return Error{fmt::format(
          "inconsistent trees: the saved checkpoint has tree size {} but the log's checkpoint "
          "only {}: the log shrank",
          previous->size, size)};
    }
    report.previous_size = previous->size;
  }

  std::optional<uint64_t> snapshot_size;
  if (stats->has_value() && (*stats)->tree_size) {
    snapshot_size = (*stats)->tree_size;
    report.stats_tree_size = snapshot_size;
    if (*snapshot_size > size) {
      return Error{
          fmt::format("the stats at {} describe a tree of size {}, larger than the "
                      "checkpoint's {}",
                      report.stats_location, *snapshot_size, size)};
    }
  }

  Walk walk(source, options, size, checkpoint->root,
            previous ? std::optional<uint64_t>(previous->size) : std::nullopt, snapshot_size,
            &report);
  if (Status s = walk.Run(); !s) return Error{s.message()};

  Result<Hash> root = walk.Root(size);
  if (!root) return Error{fmt::format("audit: root of the tiles: {} (a bug)", root.error())};
  if (*root != checkpoint->root) {
    return Error{fmt::format(
        "tile mismatch: the tiles give root {} for tree size {}, the checkpoint says {}",
        tlog::HashToBase64(*root), size, tlog::HashToBase64(checkpoint->root))};
  }
  if (previous) {
    Result<Hash> old_root = walk.Root(previous->size);
    if (!old_root) {
      return Error{fmt::format("audit: root at the saved size: {} (a bug)", old_root.error())};
    }
    if (*old_root != previous->root) {
      return Error{fmt::format(
          "inconsistent trees: the log's tiles give root {} for the saved checkpoint's tree "
          "size {}, which says {}: the log was rewritten",
          tlog::HashToBase64(*old_root), previous->size, tlog::HashToBase64(previous->root))};
    }
  }

  if (walk.unproven()) return Error{*walk.unproven()};

  report.totals = walk.tally().totals();
  report.withdrawals = walk.tally().withdrawals();
  if (stats->has_value()) {
    const Totals& counted = snapshot_size ? *walk.tally().Snapshot() : report.totals;
    if (Status s = CompareTotals(counted, **stats); !s) {
      const std::string at =
          snapshot_size ? fmt::format(", at tree size {}", *snapshot_size) : std::string();
      return Error{fmt::format("totals differ: {} (stats from {}{})", s.message(),
                               report.stats_location, at)};
    }
  }
  return report;
}

std::string SummaryLine(const AuditReport& r) {
  const Totals& t = r.totals;
  std::string line = fmt::format(
      "audit ok: origin {}, tree size {}, root {}, {} statements, {} persons (party {}, league "
      "{}, pioneers {}), {} days, {} withdrawals",
      r.checkpoint.origin, r.checkpoint.size, tlog::HashToBase64(r.checkpoint.root), t.statements,
      t.persons, t.party, t.league, t.pioneers, t.by_day.size(), r.withdrawals);
  if (r.stats_location.empty()) {
    line += "; no stats published, totals not compared";
  } else if (r.stats_tree_size) {
    line += fmt::format("; totals at tree size {} match {}", *r.stats_tree_size, r.stats_location);
  } else {
    line += fmt::format("; totals match {}", r.stats_location);
  }
  if (r.previous_size) {
    line += fmt::format("; consistent with the saved checkpoint of size {}", *r.previous_size);
  }
  return line;
}

}  // namespace tuidang::audit
