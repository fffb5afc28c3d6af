// PostgresStore reading from a streaming replica (read_database, docs/postgres.md): the
// checks at open, and the totals, which are the replica's and never count a leaf that the
// replica's latest checkpoint does not cover. (The reads themselves choose their connection
// with TakeRead, pg_reader.cc.)

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/postgres/pg_store.h"

namespace tuidang {

namespace {

// The one query of a replica's refresh: has it replayed a commit, and how far does its
// latest checkpoint reach (-1: none)?
constexpr std::string_view kReplicaState =
    "SELECT version, (SELECT COALESCE(MAX(size), -1) FROM checkpoints) FROM log_coord"
    " WHERE id = 1";

// How long Open waits for the replica to replay the schema the primary has.
constexpr std::chrono::seconds kReplicaCatchUp{5};

}  // namespace

Status PostgresStore::CheckReplica() {
  Lease lease = TakeRead();
  if (!lease.get()) return Status::Fail(lease.error());
  // Open has just upgraded the primary (a first start, a new version): the replica replays
  // that within moments, so an older schema there is waited for a little.
  const auto deadline = std::chrono::steady_clock::now() + kReplicaCatchUp;
  auto version = ReadSchemaVersion(*lease);
  while (version && *version < SchemaVersion() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    version = ReadSchemaVersion(*lease);
  }
  if (!version) return Status::Fail(version.error());
  if (*version != SchemaVersion()) {
    return Status::Fail(fmt::format(
        "the replica has tuidang schema {}, the primary {}: it is not a replica of this "
        "database, or has not replayed the primary's upgrade within {} s",
        *version, SchemaVersion(), kReplicaCatchUp.count()));
  }
  auto latest = (*lease).Exec("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1");
  if (!latest) return Status::Fail(latest.error());
  if (latest->empty()) return Status::Ok();
  // One log: the replica's latest checkpoint is the primary's of that size, byte for byte
  // (a replica of another center's database would show another count).
  const int64_t size = latest->Int(0, 0);
  Lease primary = Take();
  if (!primary.get()) return Status::Fail(primary.error());
  auto same =
      (*primary).Exec("SELECT note FROM checkpoints WHERE size = $1", pg::Params().Int(size));
  if (!same) return Status::Fail(same.error());
  if (same->empty() || same->Text(0, 0) != latest->Text(0, 1)) {
    return Status::Fail(fmt::format(
        "the replica's latest checkpoint (size {}) is not the primary's: it is not a replica "
        "of this database",
        size));
  }
  return Status::Ok();
}

void PostgresStore::OfferReplicaTotals(std::shared_ptr<const Totals> totals, int64_t version,
                                       int64_t covered) {
  if (!totals_) totals_ = std::make_shared<const Totals>();  // nothing covered yet
  if (version < totals_version_) return;                     // a slower load of an older snapshot
  totals_version_ = version;
  auto is_covered = [covered](const Totals& t) {
    return static_cast<int64_t>(t.tree_size) <= covered;
  };
  // Snapshots only grow (leaves are appended), so the newest covered one is shown.
  if (pending_totals_ && is_covered(*pending_totals_)) {
    totals_ = std::move(pending_totals_);
    pending_totals_.reset();
  }
  if (is_covered(*totals)) {
    totals_ = std::move(totals);
    pending_totals_.reset();
  } else {
    pending_totals_ = std::move(totals);
  }
}

void PostgresStore::RefreshReplica() {
  int64_t known;
  {
    MutexLock lock(&totals_mu_);
    known = totals_version_;
  }
  int64_t version = 0, covered = -1;
  {
    Lease lease = TakeRead();
    if (!lease.get()) {
      spdlog::warn("store: refresh from the replica: {}", lease.error());
      return;
    }
    auto q = (*lease).Exec(kReplicaState);
    if (!q || q->empty()) {
      spdlog::warn("store: refresh from the replica: {}",
                   q ? "the coordination row is missing" : q.error());
      return;
    }
    version = q->Int(0, 0);
    covered = q->Int(0, 1);
  }
  if (version != known) {
    if (Status s = LoadTotals(); !s) {
      spdlog::error("store: cannot reload the totals from the replica: {}", s.message());
    }
    return;
  }
  // No new commit replayed, but perhaps the checkpoint that covers the pending snapshot.
  MutexLock lock(&totals_mu_);
  if (pending_totals_ && static_cast<int64_t>(pending_totals_->tree_size) <= covered) {
    totals_ = std::move(pending_totals_);
    pending_totals_.reset();
  }
}

}  // namespace tuidang
