// SqliteStore's moderation counters (core/moderation.h): one row per day, event and reason,
// raised inside the transaction of the act it counts, read by one range of the primary key.
#include "store/sqlite/sqlite_store.h"

namespace tuidang {

namespace {
constexpr std::string_view kUpsert =
    " ON CONFLICT(day, event, reason) DO UPDATE SET statements = statements + "
    "excluded.statements";
}  // namespace

Status SqliteStore::CountModeration(Day day, ModerationEvent event, std::string_view reason,
                                    int64_t n) {
  if (n == 0) return Status::Ok();
  auto q = writer_.Prepare(
      std::string("INSERT INTO moderation_daily(day, event, reason, statements) VALUES(?,?,?,?)") +
      std::string(kUpsert));
  q.Bind(1, static_cast<int64_t>(day))
      .Bind(2, static_cast<int64_t>(event))
      .Bind(3, reason)
      .Bind(4, n);
  if (q.Step() != SQLITE_DONE) return Status::Fail("count moderation: " + writer_.LastError());
  return Status::Ok();
}

Status SqliteStore::CountRejected(int64_t id) {
  auto q = writer_.Prepare("SELECT reason FROM holds WHERE statement = ?");
  q.Bind(1, id);
  int rc = q.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Status::Fail(writer_.LastError());
  std::string reason(HeldReason(rc == SQLITE_ROW ? q.Text(0) : std::string_view()));
  q.Reset();
  return CountModeration(today_ ? today_() : Today(), ModerationEvent::kRejected, reason, 1);
}

Status SqliteStore::CountRejectedGroup(const std::string& group) {
  // Before the statements leave "held": every one still held in the group, by its reason.
  auto q = writer_.Prepare(
      "INSERT INTO moderation_daily(day, event, reason, statements)"
      " SELECT ?2, ?3, h.reason, COUNT(*) FROM holds h JOIN statements s ON s.id = h.statement"
      " WHERE h.grp = ?1 AND s.status = 0 GROUP BY h.reason" +
      std::string(kUpsert));
  q.Bind(1, std::string_view(group))
      .Bind(2, static_cast<int64_t>(today_ ? today_() : Today()))
      .Bind(3, static_cast<int64_t>(ModerationEvent::kRejected));
  if (q.Step() != SQLITE_DONE) return Status::Fail("count rejections: " + writer_.LastError());
  return Status::Ok();
}

Result<std::vector<ModerationCount>> SqliteStore::ModerationCounts(Day first, Day last) {
  auto lease = Lease();
  if (!lease.get()) return Error{lease.error()};
  auto q = lease.get()->db.Prepare(
      "SELECT day, event, reason, statements FROM moderation_daily"
      " WHERE day BETWEEN ? AND ? AND statements > 0 ORDER BY day, event, reason");
  q.Bind(1, static_cast<int64_t>(first)).Bind(2, static_cast<int64_t>(last));
  std::vector<ModerationCount> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back(ModerationCount{static_cast<Day>(q.Int(0)),
                                  static_cast<ModerationEvent>(q.Int(1)), std::string(q.Text(2)),
                                  q.Int(3)});
  }
  if (rc != SQLITE_DONE) return Error{lease.get()->db.LastError()};
  return out;
}

}  // namespace tuidang
