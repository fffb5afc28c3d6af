// SqliteStore's batch writer (BatchWriter): the sequencer's durable batches, and the
// operator's take-down of a published statement. Also the writer's clean-up after a
// deletion (ForgetOldPages) and the set-wide statements the console's writes share.
#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/publication.h"
#include "core/random.h"
#include "core/text.h"
#include "store/sqlite/sqlite_day_index.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_transaction.h"

namespace tuidang {

namespace {

// Runs fn(0..n-1), spread over the machine's cores when n is large enough to pay for the
// threads (a sheet's import), else on the calling thread (the web's small batches).
template <typename Fn>
void ParallelFor(size_t n, Fn fn) {
  constexpr size_t kPerThread = 2048;
  // Read once: hardware_concurrency() opens and reads a file in /sys on every call, which
  // was a system call or three on every batch of the writer.
  static const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t threads = std::min<size_t>({cores, 8, n / kPerThread});
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  size_t chunk = (n + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t * chunk; i < std::min(n, (t + 1) * chunk); ++i) fn(i);
    });
  }
  for (size_t i = 0; i < std::min(n, chunk); ++i) fn(i);
  for (auto& th : pool) th.join();
}

// A sheet's import commits tens of thousands of statements at once: a 256 MiB page cache
// for that one transaction keeps its dirty pages from spilling into the WAL and being
// written twice (import_bench: about 45,000 → 55,000 rows/s); the web's batches keep the
// usual 64 MiB, and the cache shrinks back when the batch is done. Only a speed-up: a
// batch is stored the same when a PRAGMA fails, so a failure is logged and ignored.
class LargeCache {
 public:
  explicit LargeCache(sqlite::Db* db) : db_(db) { Set("PRAGMA cache_size=-262144"); }
  ~LargeCache() { Set("PRAGMA cache_size=-65536"); }
  LargeCache(const LargeCache&) = delete;
  LargeCache& operator=(const LargeCache&) = delete;

 private:
  void Set(std::string_view pragma) {
    if (!db_) return;
    if (Status s = db_->Exec(pragma); !s) spdlog::warn("store: {}: {}", pragma, s.message());
  }
  sqlite::Db* db_;
};

}  // namespace

struct SqliteStore::BatchStatements {
  sqlite::Stmt& insert;       // the statement row
  sqlite::Stmt& remember;     // its source key
  sqlite::Stmt& insert_leaf;  // its leaf
  sqlite::Stmt& person;       // one person
};

Status SqliteStore::CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                                const AuditFor<BatchOutcome>& audit) {
  MutexLock lock(&write_mu_);
  out->clear();
  if (batch.empty()) return Status::Ok();
  ReloadIfChangedElsewhere();
  const Day day = today_ ? today_() : Today();
  LargeCache large_cache(batch.size() >= 10000 ? &writer_ : nullptr);

  auto fail = [&](std::string what) {
    write_mu_.AssertHeld();  // run under the caller's lock
    out->clear();
    return Status::Fail(what + ": " + writer_.LastError());
  };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return s;
  // Read inside the transaction: another process (tuidang withdraw) may have appended.
  auto next_cached = writer_.Cached(
      "SELECT (SELECT COALESCE(MAX(number), 0) + 1 FROM statements),"
      " (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves)");
  sqlite::Stmt& next = *next_cached;
  if (next.Step() != SQLITE_ROW) return fail("read counters");
  // What the batch publishes, in runs of one day (the commit's, or historic records' own).
  DayRuns runs(next.Int(0), static_cast<uint64_t>(next.Int(1)));
  next.Reset();

  auto insert_cached = writer_.Cached(
      "INSERT INTO statements(number, receipt, status, day, channel, language, region, "
      "occupation, persons_count, text, leaf_index, salt, record, operator, consent, place) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  sqlite::Stmt& insert = *insert_cached;
  auto seen_cached = writer_.Cached("SELECT origin FROM sources WHERE key = ?");
  sqlite::Stmt& seen = *seen_cached;
  auto remember_cached =
      writer_.Cached("INSERT INTO sources(key, statement, origin) VALUES(?, ?, ?)");
  sqlite::Stmt& remember = *remember_cached;
  auto insert_leaf_cached = writer_.Cached("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  sqlite::Stmt& insert_leaf = *insert_leaf_cached;
  if (!insert_leaf.ok()) return fail("prepare");
  auto person_cached = writer_.Cached(
      "INSERT INTO persons(statement, position, name, name_fold, real_name, organisations, "
      "day, number) VALUES(?,?,?,?,?,?,?,?)");
  sqlite::Stmt& person = *person_cached;
  if (!insert.ok() || !person.ok()) return fail("prepare");

  // First, in order: duplicates of stored rows, then numbers and leaf indexes.
  struct Material {
    bool duplicate = false;
    std::string duplicate_of;
    std::optional<Publication> published;
    ReceiptHash receipt;
  };
  std::vector<Material> material(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Submission& sub = batch[i];
    if (Status s =
            CheckHistoricDay(sub.day, day, sub.publish && !sub.batched, sub.statement.channel);
        !s) {
      out->clear();
      return s;
    }
    if (!sub.source_key.empty()) {
      seen.Reset();
      seen.BindBlob(1, sub.source_key.data(), sub.source_key.size());
      int rc = seen.Step();
      if (rc == SQLITE_ROW) material[i].duplicate_of = std::string(seen.Text(0));
      seen.Reset();
      if (rc == SQLITE_ROW) {
        material[i].duplicate = true;
        continue;
      }
      if (rc != SQLITE_DONE) return fail("look up source key");
    }
    if (sub.publish && !sub.batched) {
      material[i].published = runs.On(sub.day != 0 ? sub.day : day).Assign(&sub.statement);
    }
  }
  // Then the records, log entries and receipt hashes: pure computations, spread over the
  // cores for a large batch (an import) while the write lock is held anyway.
  ParallelFor(batch.size(), [&](size_t i) {
    Material& m = material[i];
    if (m.duplicate) return;
    if (m.published) PublicationRun::Seal(batch[i].statement, &*m.published);
    m.receipt = HashReceiptCode(batch[i].receipt_code);
  });

  const BatchStatements statements{insert, remember, insert_leaf, person};
  for (size_t i = 0; i < batch.size(); ++i) {
    Material& m = material[i];
    Committed c;
    c.day = m.published ? m.published->day : day;
    if (m.duplicate) {
      c.duplicate = true;
      c.duplicate_of = std::move(m.duplicate_of);
      out->push_back(c);
      continue;
    }
    const Publication* pub = m.published ? &*m.published : nullptr;
    if (Status s = InsertSubmission(statements, batch[i], pub, &m.receipt, c.day, &c); !s) {
      return fail(s.message());
    }
    out->push_back(c);
  }

  // In the runs' order: a later run of the same day counts the earlier one's statements.
  for (const DayRuns::Run& r : runs.runs()) {
    if (r.run.delta().statements == 0) continue;
    if (!sqlite::AddPublished(writer_, r.run.day(), r.run.delta())) {
      return fail("update the totals");
    }
    if (Status s = sqlite::AnchorPublished(writer_, r.run.day(), r.first_number,
                                           r.run.next_number() - r.first_number);
        !s) {
      return fail(s.message());
    }
  }
  if (audit) {
    if (Status s = WriteAudit(audit(BatchOutcome{batch, *out})); !s) return fail(s.message());
  }
  if (Status s = tx.Commit(); !s) return fail("commit");

  if (!runs.runs().empty()) {
    MutexLock tl(&totals_mu_);
    auto t = std::make_shared<Totals>(*totals_);
    for (const DayRuns::Run& r : runs.runs()) t->Add(r.run.delta(), r.run.day());
    t->tree_size = runs.next_leaf();
    totals_ = std::move(t);
  }
  return Status::Ok();
}

Status SqliteStore::InsertSubmission(const BatchStatements& q, Submission& sub,
                                     const Publication* pub, ReceiptHash* receipt, Day day,
                                     Committed* c) {
  Statement& st = sub.statement;
  c->status = !sub.publish  ? StatementStatus::kHeld
              : sub.batched ? StatementStatus::kAccepted
                            : StatementStatus::kPublished;
  if (c->status == StatementStatus::kPublished) c->number = st.number;
  int rc = SQLITE_CONSTRAINT;
  for (int attempt = 0; attempt < 4 && rc == SQLITE_CONSTRAINT; ++attempt) {
    if (attempt > 0) {  // the code was taken
      sub.receipt_code = NewReceiptCode();
      *receipt = HashReceiptCode(sub.receipt_code);
    }
    q.insert.Reset();
    if (c->number) q.insert.Bind(1, *c->number);
    else q.insert.BindNull(1);
    q.insert.BindBlob(2, receipt->data(), receipt->size())
        .Bind(3, static_cast<int64_t>(c->status))
        .Bind(4, static_cast<int64_t>(day))
        .Bind(5, static_cast<int64_t>(st.channel))
        .Bind(6, static_cast<int64_t>(st.language))
        .Bind(7, static_cast<int64_t>(st.region))
        .Bind(8, static_cast<int64_t>(st.occupation))
        .Bind(9, PersonsCount(st))
        .Bind(10, st.text);
    if (pub) {
      q.insert.Bind(11, static_cast<int64_t>(pub->leaf_index))
          .BindBlob(12, pub->salt.data(), pub->salt.size())
          .Bind(13, pub->record);
    }
    q.insert.Bind(14, st.operator_id).Bind(15, st.consent).Bind(16, st.place);
    rc = q.insert.Step();
  }
  if (rc != SQLITE_DONE) return Status::Fail("insert statement");
  c->id = sqlite3_last_insert_rowid(writer_.raw());
  if (!sub.source_key.empty()) {
    q.remember.Reset();
    q.remember.BindBlob(1, sub.source_key.data(), sub.source_key.size())
        .Bind(2, c->id)
        .Bind(3, sub.source_row);
    if (q.remember.Step() != SQLITE_DONE) return Status::Fail("remember the source key");
  }
  if (pub) {
    q.insert_leaf.Reset();
    q.insert_leaf.Bind(1, static_cast<int64_t>(pub->leaf_index))
        .BindBlob(2, pub->entry.data(), pub->entry.size());
    if (q.insert_leaf.Step() != SQLITE_DONE) return Status::Fail("insert leaf");
  }
  for (size_t p_i = 0; p_i < st.persons.size(); ++p_i) {
    const Person& p = st.persons[p_i];
    q.person.Reset();
    q.person.Bind(1, c->id)
        .Bind(2, static_cast<int64_t>(p_i))
        .Bind(3, p.name)
        .Bind(4, p_i < sub.folded_names.size() ? sub.folded_names[p_i] : FoldName(p.name))
        .Bind(5, static_cast<int64_t>(p.real_name))
        .Bind(6, static_cast<int64_t>(p.organisations));
    if (c->number) q.person.Bind(7, static_cast<int64_t>(day)).Bind(8, *c->number);
    if (q.person.Step() != SQLITE_DONE) return Status::Fail("insert person");
  }
  if (Status s = WriteSafetyRows(sub, c->id); !s) return s;
  if (c->status == StatementStatus::kHeld) {
    if (Status s = CountModeration(day, ModerationEvent::kHeld, HeldReason(sub.hold_reason), 1);
        !s) {
      return s;
    }
  }
  st.id = c->id;
  st.number = c->number;
  st.status = c->status;
  st.day = day;
  return Status::Ok();
}

Status SqliteStore::Withdraw(int64_t number, WithdrawalReason reason,
                             const AuditFor<int64_t>& audit) {
  MutexLock lock(&write_mu_);
  auto fail = [](std::string what) { return Status::Fail(std::move(what)); };
  sqlite::Transaction tx(writer_);
  if (Status s = tx.Begin(); !s) return s;
  auto find = writer_.Prepare(
      "SELECT id, leaf_index, day, channel, region, occupation FROM statements"
      " WHERE number = ? AND status = 1");
  find.Bind(1, number);
  if (find.Step() != SQLITE_ROW || find.IsNull(1)) {
    return fail(fmt::format("statement {} is not a published statement", number));
  }
  int64_t id = find.Int(0), cancelled = find.Int(1);
  Day day = static_cast<Day>(find.Int(2));
  const int channel = static_cast<int>(find.Int(3)), region = static_cast<int>(find.Int(4)),
            occupation = static_cast<int>(find.Int(5));
  find.Reset();
  Totals delta;
  auto persons = writer_.Prepare("SELECT organisations FROM persons WHERE statement = ?");
  persons.Bind(1, id);
  while (persons.Step() == SQLITE_ROW) {
    uint8_t orgs = static_cast<uint8_t>(persons.Int(0));
    delta.persons++;
    delta.party += (orgs & kParty) != 0;
    delta.league += (orgs & kLeague) != 0;
    delta.pioneers += (orgs & kPioneers) != 0;
  }
  persons.Reset();
  auto next = writer_.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves");
  if (next.Step() != SQLITE_ROW) return fail(writer_.LastError());
  int64_t leaf = next.Int(0);
  next.Reset();
  std::string entry = EncodeLeaf(
      WithdrawalLeaf{today_ ? today_() : Today(), reason, static_cast<uint64_t>(cancelled)});
  auto add = writer_.Prepare("INSERT INTO leaves(idx, entry) VALUES(?, ?)");
  add.Bind(1, leaf).BindBlob(2, entry.data(), entry.size());
  if (add.Step() != SQLITE_DONE) return fail(writer_.LastError());
  // The names, the text, the consent and place notes, the record and its salt go, and so
  // do the sealed fields (a declarant in danger leaves no contact behind, even sealed);
  // the leaf stays, cancelled.
  auto erase = writer_.Prepare(
      "UPDATE statements SET status = 3, text = '', consent = '', place = '', salt = NULL,"
      " record = NULL WHERE id = ?");
  erase.Bind(1, id);
  if (erase.Step() != SQLITE_DONE) return fail(writer_.LastError());
  if (Status s = sqlite::AnchorWithdrawn(writer_, day, number); !s) return s;
  if (Status s = CountModeration(today_ ? today_() : Today(), ModerationEvent::kWithdrawn,
                                 WithdrawalReasonCode(reason), 1);
      !s) {
    return s;
  }
  for (std::string_view sql :
       {"DELETE FROM persons WHERE statement = ?", "DELETE FROM sealed WHERE statement = ?"}) {
    auto forget = writer_.Prepare(sql);
    forget.Bind(1, id);
    if (forget.Step() != SQLITE_DONE) return fail(writer_.LastError());
  }
  auto down = writer_.Prepare(
      "UPDATE daily SET statements = statements - 1, persons = persons - ?, party = party - ?,"
      " league = league - ?, pioneers = pioneers - ? WHERE day = ?");
  down.Bind(1, delta.persons)
      .Bind(2, delta.party)
      .Bind(3, delta.league)
      .Bind(4, delta.pioneers)
      .Bind(5, static_cast<int64_t>(day));
  if (down.Step() != SQLITE_DONE) return fail(writer_.LastError());
  Totals categories;
  CountCategories(&categories, channel, region, occupation, delta.persons, -1);
  if (!sqlite::StoreCategories(writer_, categories)) return fail(writer_.LastError());
  if (audit) {
    if (Status s = WriteAudit(audit(number)); !s) return fail(s.message());
  }
  if (Status s = tx.Commit(); !s) return fail(s.message());
  ForgetOldPages();
  return LoadTotals();
}

template <typename Arg>
bool SqliteStore::RunOverIds(std::string_view sql, std::string_view ids, Arg arg) {
  auto q = writer_.Prepare(fmt::format(fmt::runtime(sql), ids));
  q.Bind(1, arg);
  return q.Step() == SQLITE_DONE;
}
template bool SqliteStore::RunOverIds(std::string_view, std::string_view, int64_t);
template bool SqliteStore::RunOverIds(std::string_view, std::string_view, std::string_view);

void SqliteStore::ForgetOldPages() {
  // Older versions of the pages that held deleted names and texts live on in the WAL until
  // it is checkpointed and truncated; secure_delete has zeroed them in the new versions.
  // Best effort: a reader still holding an old snapshot makes this a no-op until next time
  // (not an error), and a failure is logged; the next deletion tries again.
  if (Status s = writer_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !s) {
    spdlog::warn("store: cannot truncate the WAL after a deletion: {}", s.message());
  }
}

}  // namespace tuidang
