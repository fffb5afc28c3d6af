// PostgresStore's totals (StatementReader): a snapshot in memory as of the last commit this
// process made, reloaded from the daily and categories tables when the coordination row's
// version says another process committed, and recounted from the statements for audits.
// With a replica, the snapshots are the replica's, shown once its checkpoint covers them
// (pg_replica.cc).
#include <spdlog/spdlog.h>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

Status PostgresStore::LoadTotals() {
  Lease lease = TakeRead();
  if (!lease.get()) return Status::Fail(lease.error());
  pg::Conn& c = *lease;
  auto totals = std::make_shared<Totals>();
  // One snapshot: the tree size, the version and the counts describe the same commit.
  pg::Transaction tx(c);
  if (Status s = tx.BeginRead(); !s) return s;
  // The latest checkpoint's size too: a replica's totals are shown once it covers them.
  auto coord = c.Exec(
      "SELECT next_leaf, version, (SELECT COALESCE(MAX(size), -1) FROM checkpoints)"
      " FROM log_coord WHERE id = 1");
  if (!coord) return Status::Fail(coord.error());
  if (coord->empty()) return Status::Fail("the coordination row log_coord is missing");
  totals->tree_size = static_cast<uint64_t>(coord->Int(0, 0));
  const int64_t version = coord->Int(0, 1);
  const int64_t covered = coord->Int(0, 2);
  auto daily =
      c.Exec("SELECT day, statements, persons, party, league, pioneers FROM daily ORDER BY day");
  if (!daily) return Status::Fail(daily.error());
  for (int i = 0; i < daily->size(); ++i) {
    DayCount d{static_cast<Day>(daily->Int(i, 0)), daily->Int(i, 1), daily->Int(i, 2)};
    // A day whose statements were all withdrawn keeps a row of zeros, as in SQLite.
    totals->statements += d.statements;
    totals->persons += d.persons;
    totals->party += daily->Int(i, 3);
    totals->league += daily->Int(i, 4);
    totals->pioneers += daily->Int(i, 5);
    totals->by_day.push_back(d);
  }
  auto categories = c.Exec(
      "SELECT dim, code, statements, persons FROM categories"
      " WHERE statements <> 0 OR persons <> 0");
  if (!categories) return Status::Fail(categories.error());
  for (int i = 0; i < categories->size(); ++i) {
    (*CategoryMap(totals.get(), static_cast<int>(categories->Int(
                                    i, 0))))[static_cast<int>(categories->Int(i, 1))] =
        CategoryCount{categories->Int(i, 2), categories->Int(i, 3)};
  }
  if (Status s = tx.Commit(); !s) return s;
  MutexLock lock(&totals_mu_);
  if (replica_) {
    OfferReplicaTotals(std::move(totals), version, covered);
    return Status::Ok();
  }
  // Two loads racing: the newer snapshot stays.
  if (version >= totals_version_) {
    totals_ = std::move(totals);
    totals_version_ = version;
  }
  return Status::Ok();
}

void PostgresStore::AfterCommit(int64_t was, const Totals& delta, Day day, uint64_t tree_size) {
  const std::pair<Totals, Day> one[] = {{delta, day}};
  AfterCommit(was, one, tree_size);
}

void PostgresStore::AfterCommit(int64_t was, std::span<const std::pair<Totals, Day>> deltas,
                                uint64_t tree_size) {
  // With a replica, this process's commits count once the replica replayed them and a
  // checkpoint there covers them, like everyone else's.
  if (replica_) return;
  {
    MutexLock lock(&totals_mu_);
    if (totals_version_ == was) {
      auto t = std::make_shared<Totals>(*totals_);
      for (const auto& [delta, day] : deltas) t->Add(delta, day);
      t->tree_size = tree_size;
      totals_ = std::move(t);
      totals_version_ = was + 1;
      return;
    }
  }
  // Another process committed since the snapshot: the sums are read again.
  if (Status s = LoadTotals(); !s) {
    spdlog::error("store: cannot reload the totals: {} (tried again at the next refresh)",
                  s.message());
  }
}

void PostgresStore::Refresh() {
  if (replica_) return RefreshReplica();
  int64_t known;
  {
    MutexLock lock(&totals_mu_);
    known = totals_version_;
  }
  Lease lease = Take();
  if (!lease.get()) {
    spdlog::warn("store: refresh: {}", lease.error());
    return;
  }
  auto v = (*lease).Exec("SELECT version FROM log_coord WHERE id = 1");
  if (!v || v->empty()) {
    spdlog::warn("store: refresh: {}", v ? "the coordination row is missing" : v.error());
    return;
  }
  if (v->Int(0, 0) == known) return;
  if (Status s = LoadTotals(); !s)
    spdlog::error("store: cannot reload the totals: {}", s.message());
}

std::shared_ptr<const Totals> PostgresStore::GetTotals() {
  MutexLock lock(&totals_mu_);
  return totals_;
}

Result<Totals> PostgresStore::RecountTotals() {
  Lease lease = Take();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  // Counted by the server in one snapshot, in bounded memory whatever the number of rows.
  pg::Transaction tx(c);
  if (Status s = tx.BeginRead(); !s) return Error{s.message()};
  auto days = c.Exec(
      "SELECT s.day, COUNT(DISTINCT s.id), COUNT(*),"
      " COUNT(*) FILTER (WHERE p.organisations & $1 <> 0),"
      " COUNT(*) FILTER (WHERE p.organisations & $2 <> 0),"
      " COUNT(*) FILTER (WHERE p.organisations & $3 <> 0)"
      " FROM statements s JOIN persons p ON p.statement = s.id WHERE s.status = 1"
      " GROUP BY s.day ORDER BY s.day",
      pg::Params().Int(kParty).Int(kLeague).Int(kPioneers));
  if (!days) return Error{days.error()};
  Totals t;
  for (int i = 0; i < days->size(); ++i) {
    DayCount d{static_cast<Day>(days->Int(i, 0)), days->Int(i, 1), days->Int(i, 2)};
    t.statements += d.statements;
    t.persons += d.persons;
    t.party += days->Int(i, 3);
    t.league += days->Int(i, 4);
    t.pioneers += days->Int(i, 5);
    t.by_day.push_back(d);
  }
  // Every person of a statement counts in its statement's categories.
  constexpr std::pair<int, std::string_view> kDims[] = {
      {kDimChannel,
       "SELECT s.channel, COUNT(DISTINCT s.id), COUNT(*) FROM statements s JOIN persons p"
       " ON p.statement = s.id WHERE s.status = 1 GROUP BY s.channel"},
      {kDimRegion,
       "SELECT s.region, COUNT(DISTINCT s.id), COUNT(*) FROM statements s JOIN persons p"
       " ON p.statement = s.id WHERE s.status = 1 GROUP BY s.region"},
      {kDimOccupation,
       "SELECT s.occupation, COUNT(DISTINCT s.id), COUNT(*) FROM statements s JOIN persons p"
       " ON p.statement = s.id WHERE s.status = 1 GROUP BY s.occupation"},
  };
  for (const auto& [dim, sql] : kDims) {
    auto rows = c.Exec(sql);
    if (!rows) return Error{rows.error()};
    for (int i = 0; i < rows->size(); ++i) {
      (*CategoryMap(&t, dim))[static_cast<int>(rows->Int(i, 0))] =
          CategoryCount{rows->Int(i, 1), rows->Int(i, 2)};
    }
  }
  if (Status s = tx.Commit(); !s) return Error{s.message()};
  return t;
}

}  // namespace tuidang
