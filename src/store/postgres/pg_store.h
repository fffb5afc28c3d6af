// The PostgreSQL Store: the same roles as SqliteStore (store.h), on a PostgreSQL database
// that several tuidang processes may share (docs/postgres.md).
//
// - Every write is one transaction on a pooled connection, acknowledged after COMMIT
//   returns with synchronous_commit = on (durable on the server's disk).
// - Public numbers and leaf indexes are serialised by the database itself: each
//   transaction that numbers statements or appends a leaf first locks the one row of
//   `log_coord` (SELECT ... FOR UPDATE), reads the next number and leaf there and writes
//   them back before COMMIT. Writers on any server therefore queue on that row lock, and
//   numbers stay consecutive and leaf order equals commit order, without clocks or ranges.
// - The totals are a snapshot in memory, kept by this process's commits and reloaded when
//   `log_coord.version` (raised by every commit that changes them) says another process
//   committed (Refresh, the integrator's tick, about once a second).
// - Values reach PostgreSQL only as bound parameters (pg_conn.h).
//
// Methods by role, one file each:
//   pg_schema.cc       Open, the schema and its migrations, the connection pool
//   pg_writer.cc       BatchWriter: CommitBatch, Withdraw
//   pg_reader.cc       StatementReader: statements, receipts, openings
//   pg_totals.cc       StatementReader: the totals, kept, reloaded and recounted
//   pg_log.cc          LogStore: leaves, tiles, checkpoints
//   pg_moderation.cc   ModerationStore: the queue, approval, rejection, withdrawal, purge
//   pg_safety.cc       ModerationStore: sealed fields, holds and flood groups
//   pg_operators.cc    OperatorStore: operators and the audit trail
//   pg_publication.cc  PublicationStore, and the publication approval shares
//
//   pg_replica.cc      reading from a streaming replica: routing, covered totals
//
// Thread-safety: every method may be called from any thread; each runs on a connection of
// its own from the pool (the primary's, or the replica's for the public reads).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace tuidang {

class PostgresStore final : public Store {
 public:
  // Connects with `conninfo` (libpq connection string or URI; PG* variables fill the
  // rest), applies the schema migrations this build knows (pg_schema.cc) and loads the
  // totals. Returns an error (and no store) when the server cannot be reached, or the
  // database has a schema newer than this build knows (nothing is changed then).
  //
  // `read_conninfo`, when not empty, names a streaming replica of that database (the
  // `read_database` setting): the public reads (StatementReader) go to it, the totals are
  // the replica's and never count a leaf its latest checkpoint does not cover, and what the
  // replica has not replayed yet (a receipt, a statement) is looked up on the primary
  // (docs/postgres.md, "Reading from a replica"). Open refuses a replica it cannot reach,
  // with another schema version, or whose latest checkpoint differs from the primary's
  // checkpoint of that size (a replica of another database).
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& conninfo,
                                                     const std::string& read_conninfo = "");
  // Applies the migrations to the database of `conninfo` and returns its schema version
  // before and after (0 before: a new database). Refuses a newer schema, as Open.
  static Result<std::pair<int, int>> Migrate(const std::string& conninfo);
  // The newest schema version this build knows.
  static int SchemaVersion();
  ~PostgresStore() override;

  // BatchWriter (pg_writer.cc)
  Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit = {}) override;
  Status Withdraw(int64_t number, WithdrawalReason reason,
                  const AuditFor<int64_t>& audit = {}) override;

  // StatementReader (pg_reader.cc, pg_totals.cc)
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

  // LogStore (pg_log.cc)
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

  // OperatorStore (pg_operators.cc)
  Result<int64_t> AddOperator(const Operator& op) override;
  Result<std::optional<Operator>> FindOperator(const std::string& name) override;
  Result<std::optional<Operator>> GetOperator(int64_t id) override;
  Result<std::vector<Operator>> ListOperators() override;
  Status UpdateOperator(const Operator& op) override;
  Status Audit(int64_t operator_id, std::string_view action, std::string_view object) override;
  Result<std::vector<AuditEntry>> AuditTrail(int limit) override;
  Result<int64_t> AddOperatorAudited(const Operator& op, const AuditEntry& audit) override;
  Status UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) override;

  // ModerationStore (pg_moderation.cc)
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
  // ModerationStore (pg_safety.cc)
  Result<std::vector<std::pair<std::string, std::string>>> ReadSealed(int64_t id) override;
  Result<std::vector<std::pair<int64_t, StatementStatus>>> ListSealed(int limit) override;
  Result<std::vector<HeldGroup>> ListHeldGroups() override;
  Result<int64_t> RejectHeldGroup(const std::string& group) override;

  // PublicationStore (pg_publication.cc)
  Result<std::vector<int64_t>> ListAccepted(int64_t limit) override;
  Result<std::vector<int64_t>> PublishAccepted(const std::vector<int64_t>& ids) override;

  // Replaces the clock that dates commits and withdrawals (default: Today()), so that tests
  // can publish on past days. Call before any other method.
  void SetTodayForTesting(std::function<Day()> today) { today_ = std::move(today); }

 private:
  class Lease;
  // The connections to one server, opened on demand and kept idle for the next caller.
  class Pool {
   public:
    explicit Pool(std::string conninfo) : conninfo_(std::move(conninfo)) {}
    // An idle healthy connection, or a new one (connected outside the lock).
    Lease Take() EXCLUDES(mu_);
    void Release(std::unique_ptr<pg::Conn> c) EXCLUDES(mu_);

   private:
    const std::string conninfo_;
    Mutex mu_;
    std::vector<std::unique_ptr<pg::Conn>> idle_ GUARDED_BY(mu_);
  };
  // A connection taken from a pool and given back when the lease ends (dropped instead
  // when it was lost or left inside a transaction). get() is null when none could be
  // opened, and error() says why.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<pg::Conn> c, std::string error)
        : pool_(pool), c_(std::move(c)), error_(std::move(error)) {}
    ~Lease() {
      if (c_) pool_->Release(std::move(c_));
    }
    Lease(Lease&&) = default;
    pg::Conn* get() { return c_.get(); }
    pg::Conn& operator*() { return *c_; }
    const std::string& error() const { return error_; }

   private:
    Pool* pool_;
    std::unique_ptr<pg::Conn> c_;
    std::string error_;
  };
  PostgresStore(std::string conninfo, const std::string& read_conninfo)
      : primary_(std::move(conninfo)),
        replica_(read_conninfo.empty() ? nullptr : std::make_unique<Pool>(read_conninfo)) {}
  // A connection to the primary: every write, the log, the console.
  Lease Take() { return primary_.Take(); }
  // A connection for the public reads: the replica's when there is one.
  Lease TakeRead() { return replica_ ? replica_->Take() : primary_.Take(); }
  Day Now() const;

  // The coordination row, locked for the rest of the caller's transaction.
  struct Coord {
    int64_t next_number = 1;
    uint64_t next_leaf = 0;
    int64_t version = 0;
  };
  static Result<Coord> LockCoord(pg::Conn& c);
  // Writes the coordination row back: the next number and leaf, the version raised by one.
  static Status AdvanceCoord(pg::Conn& c, const Coord& was, int64_t next_number,
                             uint64_t next_leaf);

  // pg_publication.cc: publishes `ids` still in status `from`, in that order, in one
  // transaction (Approve, PublishAccepted).
  Result<std::vector<int64_t>> PublishFrom(const std::vector<int64_t>& ids, StatementStatus from,
                                           const AuditFor<std::vector<int64_t>>& audit = {});
  // pg_moderation.cc: the declarant's withdrawal of an unpublished statement.
  Result<bool> WithdrawUnpublished(int64_t id, StatementStatus from);
  // pg_operators.cc
  Result<std::optional<Operator>> OneOperator(std::string_view sql, const pg::Params& key);
  // pg_writer.cc: the rows of CommitBatch's batch (`out`: what each submission was given).
  struct Material;
  Status InsertBatch(pg::Conn& c, std::vector<Submission>& batch, std::vector<Material>& material,
                     Day day, std::vector<Committed>* out);

  // pg_totals.cc
  // Reloads the totals and the version they are at, in one snapshot (the replica's when
  // there is one, with the size of its latest checkpoint).
  Status LoadTotals() EXCLUDES(totals_mu_);
  // After a commit that raised the version from `was`: adds `delta` (published on `day`)
  // to the snapshot if it was at `was`, else reloads (another process committed between).
  void AfterCommit(int64_t was, const Totals& delta, Day day, uint64_t tree_size)
      EXCLUDES(totals_mu_);
  // The same for a commit that published on several days (historic records' runs).
  void AfterCommit(int64_t was, std::span<const std::pair<Totals, Day>> deltas, uint64_t tree_size)
      EXCLUDES(totals_mu_);

  // The schema version of the database `c` is connected to (0: none yet).
  static Result<int> ReadSchemaVersion(pg::Conn& c);
  // pg_replica.cc
  // Open's checks of the replica: its schema version and its latest checkpoint.
  Status CheckReplica() EXCLUDES(totals_mu_);
  // Replica only: takes a snapshot loaded at `version` whose latest checkpoint has
  // `covered` leaves (-1: none). Shown at once if it counts no leaf beyond them; else kept
  // pending, and the pending one shown instead if `covered` now reaches it.
  void OfferReplicaTotals(std::shared_ptr<const Totals> totals, int64_t version, int64_t covered)
      REQUIRES(totals_mu_);
  // Replica only: Refresh's cheap check (the replica's version and checkpoint size).
  void RefreshReplica() EXCLUDES(totals_mu_);

  Pool primary_;
  std::unique_ptr<Pool> replica_;  // null: every read on the primary
  std::function<Day()> today_;     // empty: Today()

  Mutex totals_mu_;
  // Replaced, never mutated: a reader copies the pointer under the lock and reads after.
  std::shared_ptr<const Totals> totals_ GUARDED_BY(totals_mu_);
  // The version of the snapshot shown (with a replica: of the last one loaded).
  int64_t totals_version_ GUARDED_BY(totals_mu_) = -1;
  // Replica only: the newest snapshot loaded that its checkpoint did not cover yet (null:
  // none), shown once a checkpoint of the replica covers its tree_size.
  std::shared_ptr<const Totals> pending_totals_ GUARDED_BY(totals_mu_);
};

}  // namespace tuidang
