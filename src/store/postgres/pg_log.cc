// PostgresStore's log (LogStore): the leaves, as appended by the writers under the
// coordination row, and the tiles and signed checkpoints the integrator stores
// (log/integrator.h).
#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "store/postgres/pg_store.h"

namespace tuidang {

namespace {

// A size or index as PostgreSQL's bigint; larger values (no log holds 2^63 leaves) clamp.
int64_t ToInt64(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

// How long an integrator may sit idle inside its transaction (paused, stalled, its client
// gone) before PostgreSQL ends its session and frees the integration row for the others:
// well above one step's pauses between statements (microseconds), well below the "few
// seconds" within which another server must take over.
constexpr std::string_view kIntegrationIdleTimeout =
    "SET LOCAL idle_in_transaction_session_timeout = '3s'";

}  // namespace

Result<uint64_t> PostgresStore::LeafCount() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  // The leaves and the coordination row are written by the same transactions.
  auto q = (*lease).Exec("SELECT next_leaf FROM log_coord WHERE id = 1");
  if (!q) return Error{q.error()};
  if (q->empty()) return Error{"the coordination row log_coord is missing"};
  return static_cast<uint64_t>(q->Int(0, 0));
}

Result<std::vector<std::string>> PostgresStore::ReadLeaves(uint64_t begin, uint64_t end) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec("SELECT idx, entry FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                         pg::Params().Int(ToInt64(begin)).Int(ToInt64(end)), pg::Results::kBinary);
  if (!q) return Error{q.error()};
  std::vector<std::string> out;
  out.reserve(end > begin ? end - begin : 0);
  for (int i = 0; i < q->size(); ++i) {
    if (static_cast<uint64_t>(q->Int(i, 0)) != begin + out.size()) {
      return Error{fmt::format("leaf {} is missing", begin + out.size())};
    }
    out.push_back(q->Bytes(i, 1));
  }
  if (out.size() != (end > begin ? end - begin : 0)) {
    return Error{fmt::format("leaves {}..{} are missing", begin + out.size(), end)};
  }
  return out;
}

// The fence between integrators of several servers (docs/postgres.md, "How the log is
// integrated"): the integration row of `meta` is locked for the transaction, the latest
// stored size checked against `after` under that lock, and the tiles and the checkpoint
// written and committed in the same transaction. A lock held by another integrator is
// skipped, not waited for (it is publishing now: this one re-reads later). A holder that
// stops mid-way (paused, disconnected) loses its session after kIntegrationIdleTimeout
// idle inside the transaction, which rolls back and frees the row; should it resume, its
// next statement or COMMIT fails, so it cannot publish on a state it no longer holds.
Result<bool> PostgresStore::SaveCheckpoint(const std::vector<StoredTile>& tiles,
                                           std::optional<uint64_t> after, uint64_t size,
                                           const std::string& signed_checkpoint) {
  if (after && size <= *after) {
    return Error{
        fmt::format("a checkpoint of size {} does not extend the one of size {}", size, *after)};
  }
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return Error{s.message()};
  if (Status s = c.Run(kIntegrationIdleTimeout); !s) return Error{s.message()};
  // The row exists from the first integration on (a database of before has none yet).
  auto row = c.Exec(
      "INSERT INTO meta(key, value) VALUES('log_integration', '') ON CONFLICT(key) DO NOTHING");
  if (!row) return Error{"integration row: " + row.error()};
  auto locked = c.Exec("SELECT 1 FROM meta WHERE key = 'log_integration' FOR UPDATE SKIP LOCKED");
  if (!locked) return Error{"lock the integration row: " + locked.error()};
  if (locked->empty()) return false;  // another integrator is publishing
  auto latest = c.Exec("SELECT max(size) FROM checkpoints");
  if (!latest) return Error{"read the latest checkpoint: " + latest.error()};
  const std::optional<int64_t> stored = latest->OptInt(0, 0);
  if (stored.has_value() != after.has_value() ||
      (stored && static_cast<uint64_t>(*stored) != *after)) {
    return false;  // another integrator published since `after`
  }
  for (const StoredTile& t : tiles) {
    // The widest version of a tile is kept (a partial tile grows until it is full).
    auto r = c.Exec(
        "INSERT INTO tiles(level, idx, width, data) VALUES($1, $2, $3, $4)"
        " ON CONFLICT(level, idx) DO UPDATE SET width = EXCLUDED.width, data = EXCLUDED.data"
        " WHERE tiles.width < EXCLUDED.width",
        pg::Params().Int(t.level).Int(static_cast<int64_t>(t.index)).Int(t.width).Bytes(t.data));
    if (!r) return Error{"store tile: " + r.error()};
  }
  // No ON CONFLICT: a size never gets a second checkpoint (the key refuses it).
  auto cp = c.Exec("INSERT INTO checkpoints(size, note) VALUES($1, $2)",
                   pg::Params().Int(ToInt64(size)).Text(signed_checkpoint));
  if (!cp) return Error{"store checkpoint: " + cp.error()};
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return true;
}

Result<std::optional<std::pair<uint64_t, std::string>>> PostgresStore::LatestCheckpoint() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1");
  if (!q) return Error{q.error()};
  std::optional<std::pair<uint64_t, std::string>> out;
  if (!q->empty()) out.emplace(static_cast<uint64_t>(q->Int(0, 0)), q->Text(0, 1));
  return out;
}

Result<std::optional<StoredTile>> PostgresStore::ReadHashTile(int level, uint64_t index) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q =
      (*lease).Exec("SELECT width, data FROM tiles WHERE level = $1 AND idx = $2",
                    pg::Params().Int(level).Int(static_cast<int64_t>(index)), pg::Results::kBinary);
  if (!q) return Error{q.error()};
  std::optional<StoredTile> out;
  if (!q->empty()) {
    out = StoredTile{level, index, static_cast<int>(q->Int(0, 0)), q->Bytes(0, 1)};
  }
  return out;
}

Result<bool> PostgresStore::PublishedSizeIn(uint64_t lo, uint64_t hi) {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec("SELECT 1 FROM checkpoints WHERE size >= $1 AND size < $2 LIMIT 1",
                         pg::Params().Int(ToInt64(lo)).Int(ToInt64(hi)));
  if (!q) return Error{q.error()};
  return !q->empty();
}

}  // namespace tuidang

namespace tuidang {

// Two rows of `meta`, as in the SQLite store. Several servers may save one: the row lock
// taken on the size orders them, and a smaller size never replaces a larger one (a server
// that was paused must not roll the served checkpoint back).
Status PostgresStore::SaveServedCheckpoint(uint64_t size, const std::string& cosigned_checkpoint) {
  Lease lease = Take();
  if (!lease.get()) return Status::Fail(lease.error());
  pg::Conn& c = *lease;
  pg::Transaction tx(c);
  if (Status s = tx.Begin(); !s) return s;
  auto current = c.Exec("SELECT value FROM meta WHERE key = 'served_checkpoint_size' FOR UPDATE");
  if (!current) return Status::Fail("read the served checkpoint: " + current.error());
  if (!current->empty()) {
    uint64_t n = 0;
    const std::string text = current->Text(0, 0);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n > size) return tx.Commit();
  }
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{"served_checkpoint_size", std::to_string(size)},
        {"served_checkpoint", cosigned_checkpoint}}) {
    auto r = c.Exec(
        "INSERT INTO meta(key, value) VALUES($1, $2)"
        " ON CONFLICT(key) DO UPDATE SET value = EXCLUDED.value",
        pg::Params().Text(key).Text(value));
    if (!r) return Status::Fail("store the served checkpoint: " + r.error());
  }
  return tx.Commit();
}

namespace {

// A served (or latest) checkpoint as (size, note) from the first row of `q`, whose first
// column is the size as text (meta keeps it so); nullopt when `q` has no row.
Result<std::optional<std::pair<uint64_t, std::string>>> CheckpointRow(const pg::Rows& q) {
  std::optional<std::pair<uint64_t, std::string>> out;
  if (q.empty()) return out;
  const std::string size = q.Text(0, 0);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
  if (ec != std::errc() || end != size.data() + size.size()) {
    return Error{"unreadable served checkpoint size '" + size + "'"};
  }
  out.emplace(n, q.Text(0, 1));
  return out;
}

}  // namespace

Result<std::optional<std::pair<uint64_t, std::string>>> PostgresStore::ServedCheckpoint() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT s.value, c.value FROM meta s, meta c "
      "WHERE s.key = 'served_checkpoint_size' AND c.key = 'served_checkpoint'");
  if (!q) return Error{q.error()};
  return CheckpointRow(*q);
}

// One round trip: the served checkpoint if there is one, else the latest signed one.
Result<std::optional<std::pair<uint64_t, std::string>>> PostgresStore::PublicCheckpoint() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "(SELECT s.value, c.value, 0 FROM meta s, meta c"
      " WHERE s.key = 'served_checkpoint_size' AND c.key = 'served_checkpoint')"
      " UNION ALL (SELECT size::text, note, 1 FROM checkpoints ORDER BY size DESC LIMIT 1)"
      " ORDER BY 3 LIMIT 1");
  if (!q) return Error{q.error()};
  return CheckpointRow(*q);
}

}  // namespace tuidang
