// PostgresStore's read side for the public pages, the API and the export (StatementReader):
// published statements, day pages (by the day's anchors, pg_rows.h), name searches (by
// persons_published), receipts and openings. With a replica (read_database) they read the
// replica, and what it has not replayed yet the primary (docs/postgres.md).
#include <limits>
#include <utility>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

namespace {

constexpr std::string_view kByNumber =
    "SELECT id, number, status, day, channel, language, region, occupation, text, operator,"
    " consent, place FROM statements WHERE number = $1 AND status = 1";

std::string_view ReceiptBytes(const ReceiptHash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// The days a name search covers: one, or all.
std::pair<int64_t, int64_t> DayRange(std::optional<Day> day) {
  if (day) return {*day, *day};
  return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
}

}  // namespace

Result<std::optional<Statement>> PostgresStore::GetPublished(int64_t number) {
  auto on = [number](Lease lease) -> Result<std::optional<Statement>> {
    if (!lease.get()) return Error{lease.error()};
    auto rows = (*lease).Exec(kByNumber, pg::Params().Int(number));
    if (!rows) return Error{rows.error()};
    auto found = pg::ReadStatements(*rows);
    if (found.empty()) return std::optional<Statement>();
    if (Status s = pg::LoadPersons(*lease, &found); !s) return Error{s.message()};
    return std::optional<Statement>(std::move(found[0]));
  };
  auto found = on(TakeRead());
  // Not on the replica: perhaps not replayed yet (a receipt's link to its statement).
  if (replica_ && found && !found->has_value()) return on(Take());
  return found;
}

Result<std::vector<Statement>> PostgresStore::ListDay(Day day, int64_t before, int64_t offset,
                                                      int limit) {
  Lease lease = TakeRead();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  // One snapshot for the ranks and the rows: a batch published in between would shift them.
  pg::Transaction read(c);
  if (Status s = read.BeginRead(); !s) return Error{s.message()};
  if (offset > 0) {
    // The page's newest statement is the one `offset` ranks below the newest under `before`:
    // its number found by the day's anchors, the page read from it as a keyset page.
    auto below = pg::PublishedBelow(c, day, before);
    if (!below) return Error{below.error()};
    auto top = pg::NumberAtRank(c, day, *below - 1 - offset);
    if (!top) return Error{top.error()};
    if (!*top) return std::vector<Statement>();  // past the day's oldest
    before = **top + 1;
  }
  auto rows = c.Exec(
      "SELECT id, number, status, day, channel, language, region, occupation, text, operator,"
      " consent, place FROM statements WHERE status = 1 AND day = $1 AND number < $2"
      " ORDER BY number DESC LIMIT $3",
      pg::Params()
          .Int(day)
          .Int(before > 0 ? before : std::numeric_limits<int64_t>::max())
          .Int(limit));
  if (!rows) return Error{rows.error()};
  auto out = pg::ReadStatements(*rows);
  if (Status s = pg::LoadPersons(c, &out); !s) return Error{s.message()};
  if (Status s = read.Commit(); !s) return Error{s.message()};
  return out;
}

Result<std::vector<Statement>> PostgresStore::SearchName(const std::string& folded,
                                                         std::optional<Day> day, int64_t before,
                                                         int limit) {
  Lease lease = TakeRead();
  if (!lease.get()) return Error{lease.error()};
  pg::Conn& c = *lease;
  pg::Transaction read(c);
  if (Status s = read.BeginRead(); !s) return Error{s.message()};
  const auto [low_day, high_day] = DayRange(day);
  // The keyset bound: (day, number) of the cursor's statement, or past everything.
  int64_t bound_day = high_day, bound_number = std::numeric_limits<int64_t>::max();
  if (before > 0) {
    // Withdrawn statements keep their number and day: a page's cursor stays valid.
    auto at = c.Exec("SELECT day FROM statements WHERE number = $1", pg::Params().Int(before));
    if (!at) return Error{at.error()};
    if (at->empty()) return std::vector<Statement>();
    bound_day = std::min(bound_day, at->Int(0, 0));
    bound_number = before;
  }
  // The numbers in persons_published's order, newest first; a statement naming the same
  // person twice is taken once.
  auto matches = c.Exec(
      "SELECT DISTINCT day, number FROM persons WHERE name_fold = $1 AND number IS NOT NULL"
      " AND day >= $2 AND (day, number) < ($3, $4) ORDER BY day DESC, number DESC LIMIT $5",
      pg::Params().Text(folded).Int(low_day).Int(bound_day).Int(bound_number).Int(limit));
  if (!matches) return Error{matches.error()};
  std::vector<Statement> out;
  out.reserve(matches->size());
  for (int i = 0; i < matches->size(); ++i) {
    auto rows = c.Exec(kByNumber, pg::Params().Int(matches->Int(i, 1)));
    if (!rows) return Error{rows.error()};
    if (!rows->empty()) out.push_back(pg::ReadStatement(*rows, 0));
  }
  if (Status s = pg::LoadPersons(c, &out); !s) return Error{s.message()};
  if (Status s = read.Commit(); !s) return Error{s.message()};
  return out;
}

Result<int64_t> PostgresStore::CountName(const std::string& folded, std::optional<Day> day,
                                         int64_t cap) {
  Lease lease = TakeRead();
  if (!lease.get()) return Error{lease.error()};
  const auto [low_day, high_day] = DayRange(day);
  auto q = (*lease).Exec(
      "SELECT COUNT(*) FROM (SELECT DISTINCT day, number FROM persons WHERE name_fold = $1"
      " AND number IS NOT NULL AND day >= $2 AND day <= $3 LIMIT $4) AS matches",
      pg::Params().Text(folded).Int(low_day).Int(high_day).Int(cap + 1));
  if (!q) return Error{q.error()};
  return q->Int(0, 0);
}

Result<std::optional<ReceiptStatus>> PostgresStore::FindReceipt(const ReceiptHash& hash) {
  auto on = [&hash](Lease lease) -> Result<std::optional<ReceiptStatus>> {
    if (!lease.get()) return Error{lease.error()};
    auto q = (*lease).Exec(
        "SELECT s.status, s.number, s.day, s.leaf_index, l.entry, t.data FROM statements s"
        " LEFT JOIN leaves l ON l.idx = s.leaf_index"
        " LEFT JOIN tiles t ON t.level = 0 AND t.idx = s.leaf_index / 256 AND t.width = 256"
        " WHERE s.receipt = $1",
        pg::Params().Bytes(ReceiptBytes(hash)), pg::Results::kBinary);
    if (!q) return Error{q.error()};
    if (q->empty()) return std::optional<ReceiptStatus>();
    ReceiptStatus found{static_cast<StatementStatus>(q->Int(0, 0)),
                        q->OptInt(0, 1),
                        static_cast<Day>(q->Int(0, 2)),
                        std::nullopt,
                        {},
                        {}};
    if (auto leaf = q->OptInt(0, 3)) found.leaf_index = static_cast<uint64_t>(*leaf);
    if (!q->IsNull(0, 4)) found.leaf_entry = q->Bytes(0, 4);
    if (!q->IsNull(0, 5)) found.leaf_tile = q->Bytes(0, 5);
    return std::optional<ReceiptStatus>(found);
  };
  auto found = on(TakeRead());
  // A receipt the replica has not replayed yet, or has as still waiting (held, accepted for
  // the next batch) while the primary may have published it: the primary answers, never
  // "not found" for a statement that was acknowledged.
  if (replica_ && found &&
      (!found->has_value() || (*found)->status == StatementStatus::kHeld ||
       (*found)->status == StatementStatus::kAccepted)) {
    return on(Take());
  }
  return found;
}

Result<std::optional<Opening>> PostgresStore::GetOpening(int64_t number) {
  auto on = [number](Lease lease) -> Result<std::optional<Opening>> {
    if (!lease.get()) return Error{lease.error()};
    auto q = (*lease).Exec(
        "SELECT leaf_index, salt, record FROM statements WHERE number = $1 AND status = 1"
        " AND leaf_index IS NOT NULL",
        pg::Params().Int(number));
    if (!q) return Error{q.error()};
    if (q->empty()) return std::optional<Opening>();
    return std::optional<Opening>(
        Opening{static_cast<uint64_t>(q->Int(0, 0)), q->Bytes(0, 1), q->Text(0, 2)});
  };
  auto found = on(TakeRead());
  if (replica_ && found && !found->has_value()) return on(Take());  // as GetPublished
  return found;
}

}  // namespace tuidang
