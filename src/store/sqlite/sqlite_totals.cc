// SqliteStore's totals (StatementReader): kept in memory as of the last commit, reloaded
// from the daily and categories tables when another process changed the database, and
// recounted from the statements for audits. The writers add to them through
// sqlite::AddPublished (sqlite_rows.h) inside their own transactions.
#include <spdlog/spdlog.h>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

Status SqliteStore::LoadTotals() {
  auto totals = std::make_shared<Totals>();
  // One read transaction: the tree size and the counts must describe the same commit.
  sqlite::Transaction tx(writer_);
  if (Status s = tx.BeginRead(); !s) return s;
  auto leaves = writer_.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (leaves.Step() != SQLITE_ROW) return Status::Fail(writer_.LastError());
  totals->tree_size = static_cast<uint64_t>(leaves.Int(0));
  auto daily = writer_.Prepare(
      "SELECT day, statements, persons, party, league, pioneers FROM daily ORDER BY day");
  while (daily.Step() == SQLITE_ROW) {
    DayCount d{static_cast<Day>(daily.Int(0)), daily.Int(1), daily.Int(2)};
    totals->statements += d.statements;
    totals->persons += d.persons;
    totals->party += daily.Int(3);
    totals->league += daily.Int(4);
    totals->pioneers += daily.Int(5);
    totals->by_day.push_back(d);
  }
  daily.Reset();
  auto categories = writer_.Prepare(
      "SELECT dim, code, statements, persons FROM categories"
      " WHERE statements != 0 OR persons != 0");
  while (categories.Step() == SQLITE_ROW) {
    (*CategoryMap(totals.get(),
                  static_cast<int>(categories.Int(0))))[static_cast<int>(categories.Int(1))] =
        CategoryCount{categories.Int(2), categories.Int(3)};
  }
  categories.Reset();
  leaves.Reset();
  if (Status s = tx.Commit(); !s) return s;
  MutexLock tl(&totals_mu_);
  totals_ = std::move(totals);
  return Status::Ok();
}

void SqliteStore::ReloadIfChangedElsewhere() {
  auto q = writer_.Cached("PRAGMA data_version");
  if (q->Step() != SQLITE_ROW) return;
  int64_t v = q->Int(0);
  if (v == data_version_) return;
  if (data_version_ >= 0) {
    if (Status s = LoadTotals(); !s) {
      // The old version is kept, so that the next call (a batch, Refresh) tries again; the
      // totals shown meanwhile are those of the last load.
      spdlog::error("store: cannot reload the totals: {}", s.message());
      return;
    }
  }
  data_version_ = v;
}

void SqliteStore::Refresh() {
  MutexLock lock(&write_mu_);
  ReloadIfChangedElsewhere();
}

std::shared_ptr<const Totals> SqliteStore::GetTotals() {
  MutexLock tl(&totals_mu_);
  return totals_;
}

Result<Totals> SqliteStore::RecountTotals() {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  Reader& r = *lease.get();
  auto q = r.db.Prepare(
      "SELECT s.day, s.id, p.organisations, s.channel, s.region, s.occupation"
      " FROM statements s JOIN persons p ON p.statement = s.id"
      " WHERE s.status = 1 ORDER BY s.day, s.id");
  Totals t;
  int64_t last_id = -1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    Day day = static_cast<Day>(q.Int(0));
    if (t.by_day.empty() || t.by_day.back().day != day) t.by_day.push_back({day, 0, 0});
    int channel = static_cast<int>(q.Int(3)), region = static_cast<int>(q.Int(4)),
        occupation = static_cast<int>(q.Int(5));
    if (q.Int(1) != last_id) {
      last_id = q.Int(1);
      t.statements++;
      t.by_day.back().statements++;
      CountCategories(&t, channel, region, occupation, 0, 1);
    }
    for (auto [m, code] : {std::pair{&t.by_channel, channel}, std::pair{&t.by_region, region},
                           std::pair{&t.by_occupation, occupation}}) {
      (*m)[code].persons++;
    }
    uint8_t orgs = static_cast<uint8_t>(q.Int(2));
    t.persons++;
    t.by_day.back().persons++;
    t.party += (orgs & kParty) != 0;
    t.league += (orgs & kLeague) != 0;
    t.pioneers += (orgs & kPioneers) != 0;
  }
  if (rc != SQLITE_DONE) return Error{r.db.LastError()};
  return t;
}

}  // namespace tuidang
