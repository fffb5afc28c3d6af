// SqliteStore's log (LogStore): the leaves, as appended by the writers, and the tiles and
// signed checkpoints the integrator stores (log/integrator.h).
#include <fmt/format.h>

#include <charconv>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Result<uint64_t> SqliteStore::LeafCount() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (q.Step() != SQLITE_ROW) return Error{lease.get()->db.LastError()};
  return static_cast<uint64_t>(q.Int(0));
}

Result<std::vector<std::string>> SqliteStore::ReadLeaves(uint64_t begin, uint64_t end) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.leaves.Reset();
  r.leaves.Bind(1, static_cast<int64_t>(begin)).Bind(2, static_cast<int64_t>(end));
  std::vector<std::string> out;
  out.reserve(end > begin ? end - begin : 0);
  int rc;
  while ((rc = r.leaves.Step()) == SQLITE_ROW) {
    if (static_cast<uint64_t>(r.leaves.Int(0)) != begin + out.size()) {
      r.leaves.Reset();
      return Error{fmt::format("leaf {} is missing", begin + out.size())};
    }
    out.emplace_back(r.leaves.Text(1));
  }
  r.leaves.Reset();
  if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  if (out.size() != end - begin)
    return Error{fmt::format("leaves {}..{} are missing", begin + out.size(), end)};
  return out;
}

Result<bool> SqliteStore::SaveCheckpoint(const std::vector<StoredTile>& tiles,
                                         std::optional<uint64_t> after, uint64_t size,
                                         const std::string& signed_checkpoint) {
  if (after && size <= *after) {
    return Error{
        fmt::format("a checkpoint of size {} does not extend the one of size {}", size, *after)};
  }
  MutexLock lock(&write_mu_);
  auto fail = [&](std::string what) {
    write_mu_.AssertHeld();  // run under the caller's lock
    return Error{what + ": " + writer_.LastError()};
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  // The fence (log_store.h): under the write lock, the latest size must still be `after`.
  // With one integrator per database, as SQLite has, it always is.
  auto latest = writer_.Prepare("SELECT MAX(size) FROM checkpoint_sizes");
  if (latest.Step() != SQLITE_ROW) return fail("read the latest checkpoint");
  std::optional<uint64_t> stored;
  if (!latest.IsNull(0)) stored = static_cast<uint64_t>(latest.Int(0));
  latest.Reset();
  if (stored != after) return false;
  auto put = writer_.Prepare(
      "INSERT INTO tiles(level, idx, width, data) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(level, idx) DO UPDATE SET width = ?3, data = ?4 WHERE width < ?3");
  for (const StoredTile& t : tiles) {
    put.Reset();
    put.Bind(1, static_cast<int64_t>(t.level))
        .Bind(2, static_cast<int64_t>(t.index))
        .Bind(3, static_cast<int64_t>(t.width))
        .BindBlob(4, t.data.data(), t.data.size());
    if (put.Step() != SQLITE_DONE) return fail("store tile");
  }
  auto sz = writer_.Prepare("INSERT OR IGNORE INTO checkpoint_sizes(size) VALUES(?)");
  sz.Bind(1, static_cast<int64_t>(size));
  if (sz.Step() != SQLITE_DONE) return fail("store checkpoint size");
  auto cp = writer_.Prepare(
      "INSERT INTO meta(key, value) VALUES('checkpoint', ?1) "
      "ON CONFLICT(key) DO UPDATE SET value = ?1");
  cp.Bind(1, signed_checkpoint);
  if (cp.Step() != SQLITE_DONE) return fail("store checkpoint");
  if (Status s = tx.Commit(); !s) return fail("commit");
  return true;
}

Result<std::optional<std::pair<uint64_t, std::string>>> SqliteStore::LatestCheckpoint() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.checkpoint.Reset();
  std::optional<std::pair<uint64_t, std::string>> out;
  int rc = r.checkpoint.Step();
  if (rc == SQLITE_ROW && !r.checkpoint.IsNull(0)) {
    out.emplace(static_cast<uint64_t>(r.checkpoint.Int(0)), std::string(r.checkpoint.Text(1)));
  } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.checkpoint.Reset();
  return out;
}

Result<std::optional<StoredTile>> SqliteStore::ReadHashTile(int level, uint64_t index) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.tile.Reset();
  r.tile.Bind(1, static_cast<int64_t>(level)).Bind(2, static_cast<int64_t>(index));
  std::optional<StoredTile> out;
  int rc = r.tile.Step();
  if (rc == SQLITE_ROW) {
    out = StoredTile{level, index, static_cast<int>(r.tile.Int(0)), std::string(r.tile.Text(1))};
  } else if (rc != SQLITE_DONE) {
    return Error{r.db.LastError()};
  }
  r.tile.Reset();
  return out;
}

Result<bool> SqliteStore::PublishedSizeIn(uint64_t lo, uint64_t hi) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  r.published_in.Reset();
  r.published_in.Bind(1, static_cast<int64_t>(lo)).Bind(2, static_cast<int64_t>(hi));
  int rc = r.published_in.Step();
  r.published_in.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error{r.db.LastError()};
  return rc == SQLITE_ROW;
}

// Two rows of `meta`, written together: the served checkpoint is one small value replaced in
// place, so no table or schema version is needed for it.
Status SqliteStore::SaveServedCheckpoint(uint64_t size, const std::string& cosigned_checkpoint) {
  MutexLock lock(&write_mu_);
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return s;
  auto put = writer_.Prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{"served_checkpoint_size", std::to_string(size)},
        {"served_checkpoint", cosigned_checkpoint}}) {
    put.Reset();
    put.Bind(1, key).Bind(2, value);
    if (put.Step() != SQLITE_DONE) {
      return Status::Fail("store the served checkpoint: " + writer_.LastError());
    }
  }
  return tx.Commit();
}

Result<std::optional<std::pair<uint64_t, std::string>>> SqliteStore::ServedCheckpoint() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare(
      "SELECT s.value, c.value FROM meta s, meta c "
      "WHERE s.key = 'served_checkpoint_size' AND c.key = 'served_checkpoint'");
  std::optional<std::pair<uint64_t, std::string>> out;
  int rc = q.Step();
  if (rc == SQLITE_ROW) {
    const std::string size(q.Text(0));
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
    if (ec != std::errc() || end != size.data() + size.size()) {
      return Error{"unreadable served checkpoint size '" + size + "'"};
    }
    out.emplace(n, std::string(q.Text(1)));
  } else if (rc != SQLITE_DONE) {
    return Error{lease.get()->db.LastError()};
  }
  return out;
}

Result<std::optional<std::pair<uint64_t, std::string>>> SqliteStore::PublicCheckpoint() {
  auto served = ServedCheckpoint();  // in the process: two reads cost no round trip
  if (!served || served->has_value()) return served;
  return LatestCheckpoint();
}

}  // namespace tuidang
