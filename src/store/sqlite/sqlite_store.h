// The embedded Store: one SQLite database file in WAL mode with synchronous=FULL, so a
// committed batch survives a crash or power loss. One writer connection (serialised by a
// mutex) and a pool of reader connections that WAL lets run beside the writer.
//
// Its methods are defined by role, one file each:
//   sqlite_schema.cc       Open: schema, migrations, the reader pool
//   sqlite_writer.cc       BatchWriter: CommitBatch, Withdraw
//   sqlite_reader.cc       StatementReader: statements, receipts, openings
//   sqlite_day_index.cc    the day lists' page index (day_anchors), kept by the writer
//   sqlite_backfill.cc     the indexes an upgrade fills after the server listens
//   sqlite_totals.cc       StatementReader: the totals, kept, reloaded and recounted
//   sqlite_log.cc          LogStore: leaves, tiles, checkpoints
//   sqlite_moderation.cc   ModerationStore: the queue, approval, rejection, withdrawal,
//                          purge, correction
//   sqlite_safety.cc       ModerationStore: sealed fields and holds
//   sqlite_operators.cc    OperatorStore: operators and the audit trail
//   sqlite_publication.cc  PublicationStore: the publication batches
// Every write transaction is a sqlite::Transaction (sqlite_transaction.h); every statement
// read maps through sqlite::ReadStatement (sqlite_rows.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace tuidang {

struct Publication;  // core/publication.h

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` and its schema. Returns an error (and no
  // store) when the file cannot be opened or is not a tuidang database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  // BatchWriter (sqlite_writer.cc)
  Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit = {}) override;
  Status Withdraw(int64_t number, WithdrawalReason reason,
                  const AuditFor<int64_t>& audit = {}) override;

  // StatementReader (sqlite_reader.cc, sqlite_totals.cc)
  Result<std::optional<Statement>> GetPublished(int64_t number) override;
  Result<std::vector<Statement>> ListDay(Day day, int64_t before, int64_t offset,
                                         int limit) override;
  Result<std::vector<Statement>> SearchName(const std::string& folded, std::optional<Day> day,
                                            int64_t before, int limit) override;
  Result<int64_t> CountName(const std::string& folded, std::optional<Day> day,
                            int64_t cap) override;
  Result<std::optional<ReceiptStatus>> FindReceipt(const ReceiptHash& hash) override;
  Result<std::optional<Opening>> GetOpening(int64_t number) override;
  Result<std::vector<ModerationCount>> ModerationCounts(Day first, Day last) override;
  std::shared_ptr<const Totals> GetTotals() override;
  Result<Totals> RecountTotals() override;
  void Refresh() override;

  // LogStore (sqlite_log.cc)
  Result<uint64_t> LeafCount() override;
  Result<std::vector<std::string>> ReadLeaves(uint64_t begin, uint64_t end) override;
  Result<bool> SaveCheckpoint(const std::vector<StoredTile>& tiles, std::optional<uint64_t> after,
                              uint64_t size, const std::string& signed_checkpoint) override;
  Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() override;
  Result<std::optional<StoredTile>> ReadHashTile(int level, uint64_t index) override;
  Result<bool> PublishedSizeIn(uint64_t lo, uint64_t hi) override;
  Status SaveServedCheckpoint(uint64_t size, const std::string& cosigned_checkpoint) override;
  Result<std::optional<std::pair<uint64_t, std::string>>> ServedCheckpoint() override;
  Result<std::optional<std::pair<uint64_t, std::string>>> PublicCheckpoint() override;

  // OperatorStore (sqlite_operators.cc)
  Result<int64_t> AddOperator(const Operator& op) override;
  Result<std::optional<Operator>> FindOperator(const std::string& name) override;
  Result<std::optional<Operator>> GetOperator(int64_t id) override;
  Result<std::vector<Operator>> ListOperators() override;
  Status UpdateOperator(const Operator& op) override;
  Status Audit(int64_t operator_id, std::string_view action, std::string_view object) override;
  Result<std::vector<AuditEntry>> AuditTrail(int limit) override;
  // sqlite_audit.cc
  Result<int64_t> AddOperatorAudited(const Operator& op, const AuditEntry& audit) override;
  Status UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) override;

  // ModerationStore (sqlite_moderation.cc)
  Result<std::vector<Statement>> ListHeld(const HeldFilter& filter) override;
  Result<int64_t> CountHeld(const HeldFilter& filter, int64_t cap) override;
  Result<std::vector<int64_t>> Approve(const std::vector<int64_t>& ids,
                                       const AuditFor<std::vector<int64_t>>& audit = {}) override;
  Result<int64_t> Reject(const std::vector<int64_t>& ids,
                         const AuditFor<int64_t>& audit = {}) override;
  Result<bool> WithdrawByReceipt(const ReceiptHash& receipt) override;
  Result<int64_t> PurgeRejected(int64_t retention_hours) override;
  Result<std::vector<HeldEntry>> HeldInGroup(const std::string& group) override;
  Result<int64_t> ForgetSealed(const ReceiptHash& receipt) override;
  Result<std::optional<Statement>> FindHeldByReceipt(const ReceiptHash& receipt) override;
  Result<bool> CorrectHeld(int64_t id, const Statement& corrected) override;
  // ModerationStore (sqlite_safety.cc)
  Result<std::vector<std::pair<std::string, std::string>>> ReadSealed(int64_t id) override;
  Result<std::vector<std::pair<int64_t, StatementStatus>>> ListSealed(int limit) override;
  Result<std::vector<HeldGroup>> ListHeldGroups() override;
  Result<int64_t> RejectHeldGroup(const std::string& group) override;

  // PublicationStore (sqlite_publication.cc)
  Result<std::vector<int64_t>> ListAccepted(int64_t limit) override;
  Result<std::vector<int64_t>> PublishAccepted(const std::vector<int64_t>& ids) override;

  // One step of the background backfill of the indexes that an upgrade from schema 3 left
  // to fill (sqlite_backfill.h), in one write transaction: at most `anchor_rows` index
  // entries of a day, else the persons of `person_ids` statement ids (the defaults take a
  // few milliseconds). False when nothing is left to do. Thread-safe (takes the write
  // lock, as every write).
  static constexpr int64_t kBackfillAnchorRows = 20000, kBackfillPersonIds = 4000;
  Result<bool> BackfillStep(int64_t anchor_rows = kBackfillAnchorRows,
                            int64_t person_ids = kBackfillPersonIds) EXCLUDES(write_mu_);

  // Replaces the clock that dates commits and withdrawals (default: Today()), so that tests
  // and benchmarks can publish on past days. Call before any other method.
  void SetTodayForTesting(std::function<Day()> today) { today_ = std::move(today); }

 private:
  // A read connection with its prepared statements; used by one thread at a time.
  struct Reader {
    sqlite::Db db;
    sqlite::Stmt by_number, day_page, day_page_before, persons, name_matches, name_count;
    sqlite::Stmt name_matches_by_join, name_count_by_join;  // during the backfill
    sqlite::Stmt day_of_number, receipt;
    sqlite::Stmt opening, leaves, tile, published_in, checkpoint;
  };
  // A reader taken from the pool (Lease) and given back when the lease ends; get() is null
  // when no reader could be opened, and error() says why.
  class ReaderLease {
   public:
    ReaderLease(SqliteStore* store, std::unique_ptr<Reader> r, std::string error)
        : store_(store), r_(std::move(r)), error_(std::move(error)) {}
    ~ReaderLease() {
      if (r_) store_->Release(std::move(r_));
    }
    ReaderLease(ReaderLease&&) = default;
    Reader* get() { return r_.get(); }
    const std::string& error() const { return error_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<Reader> r_;
    std::string error_;
  };
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  // sqlite_schema.cc
  Status Init();
  Result<std::unique_ptr<Reader>> NewReader();
  ReaderLease Lease();
  void Release(std::unique_ptr<Reader> r);

  const std::string path_;
  std::function<Day()> today_;  // empty: Today()

  // sqlite_writer.cc
  // The writer's cached statements that CommitBatch prepares once per batch.
  struct BatchStatements;
  // Writes one submission of CommitBatch's transaction (its row with a fresh receipt code
  // should the code be taken, its source key, its leaf when `pub` is set, its persons and
  // safety rows) and what it was given into `sub.statement` and `c`. On error returns what
  // failed, SQLite's message left for the caller to add.
  // REQUIRES: write_mu_ is held, inside CommitBatch's transaction.
  Status InsertSubmission(const BatchStatements& q, Submission& sub, const Publication* pub,
                          ReceiptHash* receipt, Day day, Committed* c) REQUIRES(write_mu_);
  // The moderation counters (sqlite_moderation_counts.cc): adds `n` to (day, event, reason);
  // counts statement `id`'s rejection today under its hold reason; counts the rejection
  // today of every statement still held in flood group `group` (call before rejecting).
  // REQUIRES: write_mu_ is held, inside the transaction of the act counted.
  Status CountModeration(Day day, ModerationEvent event, std::string_view reason, int64_t n)
      REQUIRES(write_mu_);
  Status CountRejected(int64_t id) REQUIRES(write_mu_);
  Status CountRejectedGroup(const std::string& group) REQUIRES(write_mu_);
  // Writes a submission's sealed fields and hold reason (sqlite_safety.cc).
  // REQUIRES: write_mu_ is held, inside CommitBatch's transaction.
  Status WriteSafetyRows(const Submission& sub, int64_t id) REQUIRES(write_mu_);

  // Publishes the statements `ids` that are still in status `from` (held or accepted), in
  // that order, with consecutive numbers and leaves, and `audit`'s entries, in one durable
  // transaction (Approve, PublishAccepted; sqlite_publication.cc). Takes write_mu_.
  Result<std::vector<int64_t>> PublishFrom(const std::vector<int64_t>& ids, StatementStatus from,
                                           const AuditFor<std::vector<int64_t>>& audit = {})
      EXCLUDES(write_mu_);
  // Appends `entries` to the audit trail, dated today (sqlite_audit.cc).
  // REQUIRES: write_mu_ is held, inside the transaction of the action they record.
  Status WriteAudit(const std::vector<AuditEntry>& entries) REQUIRES(write_mu_);
  // The declarant's withdrawal of statement `id`, held or accepted (`from`), never
  // published (WithdrawByReceipt): marked withdrawn, its content and sealed fields deleted.
  // False when it is no longer in `from`.
  Result<bool> WithdrawUnpublished(int64_t id, StatementStatus from);

  // sqlite_totals.cc
  // REQUIRES: write_mu_ is held, outside a transaction.
  Status LoadTotals() REQUIRES(write_mu_);
  // Reloads the totals when another process (tuidang withdraw) changed the database; a
  // failed reload is logged and tried again at the next call.
  // REQUIRES: write_mu_ is held, outside a transaction.
  void ReloadIfChangedElsewhere() REQUIRES(write_mu_);

  // sqlite_writer.cc
  // After deleting content: checkpoints and truncates the WAL so that no older copy of the
  // deleted content stays on disk (best effort, a failure is logged).
  // REQUIRES: write_mu_ is held, outside a transaction.
  void ForgetOldPages() REQUIRES(write_mu_);
  // Runs `sql`, whose one `{}` stands for `ids` (a parenthesised SELECT of statement ids
  // that reads its parameter as ?1), with `arg` bound to ?1; true when it ran to the end.
  // For the DELETEs and UPDATEs that follow a set of statements through every table.
  // REQUIRES: write_mu_ is held.
  // Defined for int64_t and std::string_view arguments (sqlite_writer.cc).
  template <typename Arg>
  bool RunOverIds(std::string_view sql, std::string_view ids, Arg arg) REQUIRES(write_mu_);
  // sqlite_operators.cc
  template <typename Key>
  Result<std::optional<Operator>> OneOperator(std::string_view column, const Key& key);

  Mutex write_mu_;
  sqlite::Db writer_ GUARDED_BY(write_mu_);
  int64_t data_version_ GUARDED_BY(write_mu_) = -1;

  Mutex readers_mu_;
  std::vector<std::unique_ptr<Reader>> idle_readers_ GUARDED_BY(readers_mu_);

  Mutex totals_mu_;
  // Replaced, never mutated: a reader copies the pointer under the lock and reads after.
  std::shared_ptr<const Totals> totals_ GUARDED_BY(totals_mu_);
};

}  // namespace tuidang
