// The indexes that a database upgraded from schema 3 gets after the server listens, not
// before: the persons' day and number (the name search's persons_published) and the day
// lists' anchors (sqlite_day_index.h). Migration 4 used to write both in one transaction
// before `serve` listened: about 30 s at a million statements, hours at the center's 458
// million. Now migration 4 adds the empty columns and indexes, migration 5 lists the days
// to anchor (day_index_pending), and the backfill fills them in small transactions on the
// writer connection, between the server's own commits (docs/paging.md, "Upgrading a large
// database"). Until a day is anchored its pages are read by OFFSET, and until every person
// is numbered the name search reads persons_by_name and the statements: slower, the same
// results.
//
// Internal to store/sqlite, except BackfillRunner, which `serve` starts.
#pragma once

#include <cstdint>
#include <thread>

#include "core/mutex.h"
#include "core/result.h"
#include "store/sqlite/sqlite_db.h"

namespace tuidang {

class SqliteStore;

namespace sqlite {

// False while persons of published statements may lack their day and number (the name
// search must then read persons_by_name). Not thread-safe: the connection's thread.
Result<bool> PersonsNumbered(Db& db);

// Gives the persons of the next `max_ids` statement ids their statement's day and number,
// and drops persons_by_name once the last id is done. False when nothing was left to do.
// REQUIRES: inside a write transaction.
Result<bool> BackfillPersons(Db& db, int64_t max_ids);

}  // namespace sqlite

// Runs SqliteStore::BackfillStep on a thread of its own until nothing is left or the
// runner is destroyed. After each step it waits as long as the step took, so the backfill
// takes at most about half of the writer and a submission waits at most one step (a few
// milliseconds). `store` must outlive the runner. Logs when it starts and when it is done.
class BackfillRunner {
 public:
  explicit BackfillRunner(SqliteStore* store);
  ~BackfillRunner();
  BackfillRunner(const BackfillRunner&) = delete;
  BackfillRunner& operator=(const BackfillRunner&) = delete;

 private:
  void Run(SqliteStore* store) EXCLUDES(mu_);

  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace tuidang
