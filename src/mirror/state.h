// What a mirror keeps (c2sp.org/tlog-mirror), for each log origin, in one SQLite database
// in its data folder (WAL, synchronous=FULL: a COMMIT that returned is on disk):
//
//  - the pending checkpoint (what add-checkpoint advances, as a witness's head) and the last
//    kKeptPendingCheckpoints of them, any of which an add-entries may name as upload_end;
//  - the copy of the log: entry bundles and hash tiles (tlog-tiles), stored in the order of
//    the entries, so that next_entry (the first entry not stored) is also the size up to
//    which the tiles are complete. Pending entries and the copy share this storage, as the
//    spec allows: entries are stored only once a subtree proof authenticated them;
//  - the mirror checkpoint: the pending checkpoint of some size all of whose entries are
//    stored, with the mirror's cosignature; what the monitoring prefix serves.
//
// Thread-safe: one connection behind a mutex; every update is one BEGIN IMMEDIATE
// transaction, so concurrent requests (threads, or processes on the same folder) see and
// leave a consistent state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"
#include "store/sqlite/sqlite_db.h"
#include "tlog/hash.h"
#include "tlog/tile.h"

namespace tuidang::mirror {

// add-entries accepts any of the last this many pending checkpoints as upload_end.
inline constexpr int kKeptPendingCheckpoints = 16;

struct StoredCheckpoint {
  uint64_t size = 0;
  tlog::Hash root{};
  std::string note;  // signed note: the log's verified signatures (and, mirrored, ours)

  bool operator==(const StoredCheckpoint&) const = default;
};

struct LogCopy {
  std::optional<StoredCheckpoint> pending;   // the latest pending checkpoint
  std::optional<StoredCheckpoint> mirrored;  // the mirror checkpoint
  uint64_t next_entry = 0;
};

class MirrorState {
 public:
  // Opens the database at `path`, creating it and its schema when missing. Fails if it
  // cannot be opened or is not a mirror database of a known version.
  static Result<std::unique_ptr<MirrorState>> Open(const std::string& path);

  Result<LogCopy> Read(std::string_view origin) EXCLUDES(mu_);

  // The pending checkpoint of `size` among those kept, or the mirror checkpoint when it has
  // that size (then with the mirror's cosignature); nullopt when neither.
  Result<std::optional<StoredCheckpoint>> Known(std::string_view origin, uint64_t size)
      EXCLUDES(mu_);

  // Compare-and-set of the pending checkpoint, as WitnessState::Advance: `decide` sees the
  // current one and returns the one to store, or nullopt to store nothing; one transaction,
  // committed before this returns. `decide` runs with the lock held: quick, no call back.
  using Decide = std::function<std::optional<StoredCheckpoint>(
      const std::optional<StoredCheckpoint>& current)>;
  Status AdvancePending(std::string_view origin, const Decide& decide) EXCLUDES(mu_);

  // Entry bundle `index` as stored (the widest version) and its width; nullopt when none.
  Result<std::optional<std::pair<int, std::string>>> Bundle(std::string_view origin, uint64_t index)
      EXCLUDES(mu_);
  // The stored bytes of `tile` cut to its width, only when the mirror checkpoint covers it
  // (the copy served is the mirror checkpoint's, nothing beyond); nullopt otherwise.
  Result<std::optional<std::string>> ServedTile(std::string_view origin, const tlog::TileId& tile)
      EXCLUDES(mu_);

  // Stores the authenticated entries [first, first + entries.size()): those below next_entry
  // are skipped (stored already), the others appended to the bundles and hash tiles in one
  // transaction. Returns the new next_entry. Fails, storing nothing, when `first` is above
  // next_entry (a gap) or the stored tiles cannot be read or written.
  Result<uint64_t> AppendEntries(std::string_view origin, uint64_t first,
                                 std::span<const std::string_view> entries) EXCLUDES(mu_);

  enum class CommitResult { kCommitted, kBehind };
  // Makes `checkpoint` (a known pending checkpoint) the mirror checkpoint, in one
  // transaction: kBehind, storing nothing, when the mirror checkpoint is already larger;
  // an error when its entries are not all stored or the stored tiles do not hash to its root;
  // otherwise `cosign` gives the note to store (the checkpoint with the mirror's cosignature)
  // and kCommitted is returned once it is durable. `cosign` runs with the lock held.
  using Cosign = std::function<Result<std::string>()>;
  Result<CommitResult> CommitCheckpoint(std::string_view origin, const StoredCheckpoint& checkpoint,
                                        const Cosign& cosign) EXCLUDES(mu_);

 private:
  class TileView;
  MirrorState() = default;

  // The log's row id, created when `create` (else 0 when missing).
  Result<int64_t> LogId(std::string_view origin, bool create) REQUIRES(mu_);
  Result<LogCopy> ReadLocked(int64_t id) REQUIRES(mu_);
  Result<std::optional<std::pair<int, std::string>>> ReadTileRow(int64_t id, int level,
                                                                 uint64_t index) REQUIRES(mu_);
  Status PutTile(int64_t id, const tlog::TileId& tile, const std::string& data) REQUIRES(mu_);

  Mutex mu_;
  sqlite::Db db_ GUARDED_BY(mu_);
};

}  // namespace tuidang::mirror
