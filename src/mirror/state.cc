#include "mirror/state.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/sqlite/sqlite_transaction.h"
#include "tlog/builder.h"
#include "tlog/merkle.h"

namespace tuidang::mirror {

namespace {

constexpr int kSchemaVersion = 1;

// Sizes are unsigned 64-bit in the spec; SQLite keeps signed 64-bit integers, so sizes from
// 2^63 on are stored as their two's-complement bit pattern and read back the same (as the
// witness does). Nothing orders by them.
int64_t ToColumn(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t FromColumn(int64_t v) { return static_cast<uint64_t>(v); }

constexpr std::string_view kSchema =
    "CREATE TABLE mirrored_log ("
    "  id INTEGER PRIMARY KEY,"
    "  origin TEXT NOT NULL UNIQUE,"
    "  pending_size INTEGER, pending_root TEXT, pending_note TEXT,"
    "  mirror_size INTEGER, mirror_root TEXT, mirror_note TEXT,"
    "  next_entry INTEGER NOT NULL DEFAULT 0);"
    // The last pending checkpoints, newest by seq, for add-entries' upload_end.
    "CREATE TABLE pending_checkpoint ("
    "  log_id INTEGER NOT NULL, size INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  root TEXT NOT NULL, note TEXT NOT NULL,"
    "  PRIMARY KEY (log_id, size)) WITHOUT ROWID;"
    // Hash tiles (level >= 0) and entry bundles (level -1), the widest version of each.
    "CREATE TABLE tile ("
    "  log_id INTEGER NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  width INTEGER NOT NULL, data BLOB NOT NULL,"
    "  PRIMARY KEY (log_id, level, idx)) WITHOUT ROWID;";

// The number of nodes (entries for level kEntryBundleLevel) of tile `tile` that a tree of
// `size` has: 0 when the tile is not in it at all, at most kTileWidth.
int WidthAt(const tlog::TileId& tile, uint64_t size) {
  const int shift = tile.is_entry_bundle() ? 0 : tlog::kTileHeight * tile.level;
  const uint64_t nodes = shift >= 64 ? 0 : size >> shift;
  const uint64_t tiles_before = nodes / tlog::kTileWidth;
  if (tile.index > tiles_before) return 0;
  if (tile.index < tiles_before) return tlog::kTileWidth;
  return static_cast<int>(nodes % tlog::kTileWidth);
}

// The first `width` entries of a bundle, as bytes; nullopt when it holds fewer.
std::optional<std::string> CutBundle(std::string_view bundle, int width) {
  size_t at = 0;
  for (int i = 0; i < width; ++i) {
    if (bundle.size() - at < 2) return std::nullopt;
    const size_t length =
        (static_cast<uint8_t>(bundle[at]) << 8) | static_cast<uint8_t>(bundle[at + 1]);
    if (bundle.size() - at - 2 < length) return std::nullopt;
    at += 2 + length;
  }
  return std::string(bundle.substr(0, at));
}

Result<std::optional<StoredCheckpoint>> Checkpoint(const sqlite::Stmt& q, int col) {
  if (q.IsNull(col)) return std::optional<StoredCheckpoint>();
  StoredCheckpoint cp;
  cp.size = FromColumn(q.Int(col));
  Result<tlog::Hash> root = tlog::HashFromBase64(q.Text(col + 1));
  if (!root) return Error{"mirror state: a stored root hash is malformed"};
  cp.root = *root;
  cp.note = std::string(q.Text(col + 2));
  return std::optional<StoredCheckpoint>(std::move(cp));
}

}  // namespace

// The stored tiles of one log as a TileReader, for TreeBuilder::Resume and TreeRoot inside
// the state's locked methods only (the analysis cannot follow the lock through the virtual
// call, hence NO_THREAD_SAFETY_ANALYSIS).
class MirrorState::TileView : public tlog::TileReader {
 public:
  TileView(MirrorState* state, int64_t id) : state_(state), id_(id) {}
  Result<std::string> ReadTile(const tlog::TileId& tile) override NO_THREAD_SAFETY_ANALYSIS {
    auto row = state_->ReadTileRow(id_, tile.level, tile.index);
    if (!row) return Error{row.error()};
    if (!*row || (*row)->first < tile.width) {
      return Error{fmt::format("mirror state: tile {} is not stored", tlog::TilePath(tile))};
    }
    return std::move((*row)->second);
  }

 private:
  MirrorState* state_;
  int64_t id_;
};

Result<std::unique_ptr<MirrorState>> MirrorState::Open(const std::string& path) {
  std::unique_ptr<MirrorState> state(new MirrorState());
  MutexLock lock(&state->mu_);
  if (Status s = state->db_.Open(path, /*create=*/true); !s) return Error{s.message()};
  sqlite::Stmt version = state->db_.Prepare("PRAGMA user_version");
  if (!version.ok() || version.Step() != SQLITE_ROW) {
    return Error{fmt::format("{}: not a database: {}", path, state->db_.LastError())};
  }
  const int64_t found = version.Int(0);
  version = sqlite::Stmt();
  if (found == 0) {
    if (Status s = state->db_.Exec(fmt::format("BEGIN IMMEDIATE;{}PRAGMA user_version = {};COMMIT;",
                                               kSchema, kSchemaVersion));
        !s) {
      IgnoreError(state->db_.Exec("ROLLBACK"), "the schema error is returned");
      return Error{fmt::format("{}: cannot create the schema: {}", path, s.message())};
    }
  } else if (found != kSchemaVersion) {
    return Error{fmt::format("{}: schema version {} is not {} (another tuidang version?)", path,
                             found, kSchemaVersion)};
  }
  return state;
}

Result<int64_t> MirrorState::LogId(std::string_view origin, bool create) {
  sqlite::CachedStmt q = db_.Cached("SELECT id FROM mirrored_log WHERE origin = ?");
  if (!q->ok()) return Error{"mirror state: " + db_.LastError()};
  q->Bind(1, origin);
  const int rc = q->Step();
  if (rc == SQLITE_ROW) return q->Int(0);
  if (rc != SQLITE_DONE) return Error{"mirror state: " + db_.LastError()};
  if (!create) return int64_t{0};
  sqlite::CachedStmt put = db_.Cached("INSERT INTO mirrored_log (origin) VALUES (?)");
  if (!put->ok()) return Error{"mirror state: " + db_.LastError()};
  put->Bind(1, origin);
  if (put->Step() != SQLITE_DONE) return Error{"mirror state: " + db_.LastError()};
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.raw()));
}

Result<LogCopy> MirrorState::ReadLocked(int64_t id) {
  LogCopy copy;
  if (id == 0) return copy;
  sqlite::CachedStmt q = db_.Cached(
      "SELECT pending_size, pending_root, pending_note, mirror_size, mirror_root, mirror_note,"
      " next_entry FROM mirrored_log WHERE id = ?");
  if (!q->ok()) return Error{"mirror state: " + db_.LastError()};
  q->Bind(1, id);
  if (q->Step() != SQLITE_ROW) return Error{"mirror state: " + db_.LastError()};
  auto pending = Checkpoint(*q, 0);
  if (!pending) return Error{pending.error()};
  auto mirrored = Checkpoint(*q, 3);
  if (!mirrored) return Error{mirrored.error()};
  copy.pending = std::move(*pending);
  copy.mirrored = std::move(*mirrored);
  copy.next_entry = FromColumn(q->Int(6));
  return copy;
}

Result<LogCopy> MirrorState::Read(std::string_view origin) {
  MutexLock lock(&mu_);
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  return ReadLocked(*id);
}

Result<std::optional<StoredCheckpoint>> MirrorState::Known(std::string_view origin, uint64_t size) {
  MutexLock lock(&mu_);
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  if (*id == 0) return std::optional<StoredCheckpoint>();
  {
    sqlite::CachedStmt q =
        db_.Cached("SELECT size, root, note FROM pending_checkpoint WHERE log_id = ? AND size = ?");
    if (!q->ok()) return Error{"mirror state: " + db_.LastError()};
    q->Bind(1, *id).Bind(2, ToColumn(size));
    const int rc = q->Step();
    if (rc == SQLITE_ROW) return Checkpoint(*q, 0);
    if (rc != SQLITE_DONE) return Error{"mirror state: " + db_.LastError()};
  }
  Result<LogCopy> copy = ReadLocked(*id);
  if (!copy) return Error{copy.error()};
  if (copy->mirrored && copy->mirrored->size == size) return copy->mirrored;
  return std::optional<StoredCheckpoint>();
}

Status MirrorState::AdvancePending(std::string_view origin, const Decide& decide) {
  MutexLock lock(&mu_);
  sqlite::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return s;
  Result<int64_t> id = LogId(origin, /*create=*/true);
  if (!id) return Status::Fail(id.error());
  Result<LogCopy> copy = ReadLocked(*id);
  if (!copy) return Status::Fail(copy.error());
  std::optional<StoredCheckpoint> next = decide(copy->pending);
  if (!next) return Status::Ok();  // nothing to store; the transaction rolls back
  const std::string root = tlog::HashToBase64(next->root);
  sqlite::CachedStmt put = db_.Cached(
      "UPDATE mirrored_log SET pending_size = ?, pending_root = ?, pending_note = ? WHERE id = ?");
  if (!put->ok()) return Status::Fail("mirror state: " + db_.LastError());
  put->Bind(1, ToColumn(next->size)).Bind(2, root).Bind(3, next->note).Bind(4, *id);
  if (put->Step() != SQLITE_DONE) return Status::Fail("mirror state: " + db_.LastError());
  sqlite::CachedStmt keep = db_.Cached(
      "INSERT OR REPLACE INTO pending_checkpoint (log_id, size, seq, root, note) VALUES "
      "(?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pending_checkpoint WHERE log_id = ?1),"
      " ?3, ?4)");
  if (!keep->ok()) return Status::Fail("mirror state: " + db_.LastError());
  keep->Bind(1, *id).Bind(2, ToColumn(next->size)).Bind(3, root).Bind(4, next->note);
  if (keep->Step() != SQLITE_DONE) return Status::Fail("mirror state: " + db_.LastError());
  sqlite::CachedStmt prune = db_.Cached(
      "DELETE FROM pending_checkpoint WHERE log_id = ?1 AND seq <= "
      "(SELECT MAX(seq) FROM pending_checkpoint WHERE log_id = ?1) - ?2");
  if (!prune->ok()) return Status::Fail("mirror state: " + db_.LastError());
  prune->Bind(1, *id).Bind(2, int64_t{kKeptPendingCheckpoints});
  if (prune->Step() != SQLITE_DONE) return Status::Fail("mirror state: " + db_.LastError());
  return tx.Commit();
}

Result<std::optional<std::pair<int, std::string>>> MirrorState::ReadTileRow(int64_t id, int level,
                                                                            uint64_t index) {
  sqlite::CachedStmt q =
      db_.Cached("SELECT width, data FROM tile WHERE log_id = ? AND level = ? AND idx = ?");
  if (!q->ok()) return Error{"mirror state: " + db_.LastError()};
  q->Bind(1, id).Bind(2, int64_t{level}).Bind(3, ToColumn(index));
  const int rc = q->Step();
  if (rc == SQLITE_DONE) return std::optional<std::pair<int, std::string>>();
  if (rc != SQLITE_ROW) return Error{"mirror state: " + db_.LastError()};
  return std::optional<std::pair<int, std::string>>(
      std::pair{static_cast<int>(q->Int(0)), std::string(q->Text(1))});
}

Status MirrorState::PutTile(int64_t id, const tlog::TileId& tile, const std::string& data) {
  sqlite::CachedStmt put = db_.Cached(
      "INSERT INTO tile (log_id, level, idx, width, data) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (log_id, level, idx) DO UPDATE SET width = excluded.width, "
      "data = excluded.data WHERE excluded.width > tile.width");
  if (!put->ok()) return Status::Fail("mirror state: " + db_.LastError());
  put->Bind(1, id).Bind(2, int64_t{tile.level}).Bind(3, ToColumn(tile.index));
  put->Bind(4, int64_t{tile.width}).BindBlob(5, data.data(), data.size());
  if (put->Step() != SQLITE_DONE) return Status::Fail("mirror state: " + db_.LastError());
  return Status::Ok();
}

Result<std::optional<std::pair<int, std::string>>> MirrorState::Bundle(std::string_view origin,
                                                                       uint64_t index) {
  MutexLock lock(&mu_);
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  if (*id == 0) return std::optional<std::pair<int, std::string>>();
  return ReadTileRow(*id, tlog::kEntryBundleLevel, index);
}

Result<std::optional<std::string>> MirrorState::ServedTile(std::string_view origin,
                                                           const tlog::TileId& tile) {
  MutexLock lock(&mu_);
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  Result<LogCopy> copy = ReadLocked(*id);
  if (!copy) return Error{copy.error()};
  if (!copy->mirrored || WidthAt(tile, copy->mirrored->size) < tile.width) {
    return std::optional<std::string>();
  }
  auto row = ReadTileRow(*id, tile.level, tile.index);
  if (!row) return Error{row.error()};
  if (!*row || (*row)->first < tile.width) {
    return Error{fmt::format("mirror state: tile {} of the mirror checkpoint is missing",
                             tlog::TilePath(tile))};
  }
  if (tile.is_entry_bundle()) {
    std::optional<std::string> cut = CutBundle((*row)->second, tile.width);
    if (!cut) return Error{"mirror state: a stored entry bundle is malformed"};
    return cut;
  }
  std::string data = std::move((*row)->second);
  data.resize(static_cast<size_t>(tile.width) * tlog::kHashSize);
  return std::optional<std::string>(std::move(data));
}

Result<uint64_t> MirrorState::AppendEntries(std::string_view origin, uint64_t first,
                                            std::span<const std::string_view> entries) {
  MutexLock lock(&mu_);
  sqlite::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  if (*id == 0) return Error{"mirror state: no such log"};
  Result<LogCopy> copy = ReadLocked(*id);
  if (!copy) return Error{copy.error()};
  const uint64_t next = copy->next_entry;
  if (first > next) {
    return Error{
        fmt::format("mirror state: entries from {} would leave a gap after {}", first, next)};
  }
  if (next - first >= entries.size()) return next;  // every one is stored already
  entries = entries.subspan(next - first);

  TileView view(this, *id);
  Result<tlog::TreeBuilder> builder = tlog::TreeBuilder::Resume(view, next);
  if (!builder) return Error{"mirror state: " + builder.error()};
  Result<tlog::AppendResult> appended = builder->Append(entries);
  if (!appended) return Error{"mirror state: " + appended.error()};
  for (const tlog::TileContent& tile : appended->tiles) {
    if (Status s = PutTile(*id, tile.id, tile.data); !s) return Error{s.message()};
  }
  {
    sqlite::CachedStmt put = db_.Cached("UPDATE mirrored_log SET next_entry = ? WHERE id = ?");
    if (!put->ok()) return Error{"mirror state: " + db_.LastError()};
    put->Bind(1, ToColumn(appended->tree_size)).Bind(2, *id);
    if (put->Step() != SQLITE_DONE) return Error{"mirror state: " + db_.LastError()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return appended->tree_size;
}

Result<MirrorState::CommitResult> MirrorState::CommitCheckpoint(std::string_view origin,
                                                                const StoredCheckpoint& checkpoint,
                                                                const Cosign& cosign) {
  MutexLock lock(&mu_);
  sqlite::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  Result<int64_t> id = LogId(origin, /*create=*/false);
  if (!id) return Error{id.error()};
  if (*id == 0) return Error{"mirror state: no such log"};
  Result<LogCopy> copy = ReadLocked(*id);
  if (!copy) return Error{copy.error()};
  if (copy->mirrored && copy->mirrored->size > checkpoint.size) return CommitResult::kBehind;
  if (checkpoint.size > copy->next_entry) {
    return Error{fmt::format("mirror state: entries up to {} only are stored, not {}",
                             copy->next_entry, checkpoint.size)};
  }
  // Cosign only what is stored: the stored tiles must hash to the checkpoint's root.
  TileView view(this, *id);
  tlog::TileHashReader hashes(&view, checkpoint.size);
  Result<tlog::Hash> root = tlog::TreeRoot(hashes, checkpoint.size);
  if (!root) return Error{"mirror state: " + root.error()};
  if (*root != checkpoint.root) {
    return Error{
        fmt::format("mirror state: the stored entries do not hash to the root of the "
                    "checkpoint of size {}",
                    checkpoint.size)};
  }
  Result<std::string> note = cosign();
  if (!note) return Error{note.error()};
  {
    sqlite::CachedStmt put = db_.Cached(
        "UPDATE mirrored_log SET mirror_size = ?, mirror_root = ?, mirror_note = ? WHERE id = ?");
    if (!put->ok()) return Error{"mirror state: " + db_.LastError()};
    put->Bind(1, ToColumn(checkpoint.size)).Bind(2, tlog::HashToBase64(checkpoint.root));
    put->Bind(3, *note).Bind(4, *id);
    if (put->Step() != SQLITE_DONE) return Error{"mirror state: " + db_.LastError()};
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return CommitResult::kCommitted;
}

}  // namespace tuidang::mirror
