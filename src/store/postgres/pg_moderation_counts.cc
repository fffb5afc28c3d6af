// PostgresStore's moderation counters (core/moderation.h): one row per day, event and
// reason, raised inside the transaction of the act it counts, read by one range of the
// primary key.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace tuidang {

namespace pg {

namespace {
constexpr std::string_view kUpsert =
    " ON CONFLICT(day, event, reason) DO UPDATE SET statements = moderation_daily.statements + "
    "excluded.statements";
}  // namespace

Status CountModeration(Conn& c, Day day, ModerationEvent event, std::string_view reason,
                       int64_t n) {
  if (n == 0) return Status::Ok();
  auto r = c.Exec(std::string("INSERT INTO moderation_daily(day, event, reason, statements)"
                              " VALUES($1, $2, $3, $4)") +
                      std::string(kUpsert),
                  Params().Int(day).Int(static_cast<int64_t>(event)).Text(reason).Int(n));
  if (!r) return Status::Fail("count moderation: " + r.error());
  return Status::Ok();
}

Status CountRejected(Conn& c, Day day, int64_t id) {
  auto r = c.Exec(
      std::string("INSERT INTO moderation_daily(day, event, reason, statements)"
                  " SELECT $1, $2, COALESCE((SELECT reason FROM holds WHERE statement = $4), $3),"
                  " 1") +
          std::string(kUpsert),
      Params()
          .Int(day)
          .Int(static_cast<int64_t>(ModerationEvent::kRejected))
          .Text(kReviewReason)
          .Int(id));
  if (!r) return Status::Fail("count rejections: " + r.error());
  return Status::Ok();
}

Status CountRejectedGroup(Conn& c, Day day, const std::vector<int64_t>& ids) {
  auto r =
      c.Exec(std::string("INSERT INTO moderation_daily(day, event, reason, statements)"
                         " SELECT $1, $2, h.reason, COUNT(*) FROM holds h"
                         " WHERE h.statement = ANY($3::bigint[]) GROUP BY h.reason") +
                 std::string(kUpsert),
             Params().Int(day).Int(static_cast<int64_t>(ModerationEvent::kRejected)).IntArray(ids));
  if (!r) return Status::Fail("count rejections: " + r.error());
  return Status::Ok();
}

}  // namespace pg

Result<std::vector<ModerationCount>> PostgresStore::ModerationCounts(Day first, Day last) {
  Lease lease = TakeRead();
  if (!lease.get()) return Error{lease.error()};
  auto q = (*lease).Exec(
      "SELECT day, event, reason, statements FROM moderation_daily"
      " WHERE day BETWEEN $1 AND $2 AND statements > 0 ORDER BY day, event, reason",
      pg::Params().Int(first).Int(last));
  if (!q) return Error{q.error()};
  std::vector<ModerationCount> out;
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(ModerationCount{static_cast<Day>(q->Int(i, 0)),
                                  static_cast<ModerationEvent>(q->Int(i, 1)), q->Text(i, 2),
                                  q->Int(i, 3)});
  }
  return out;
}

}  // namespace tuidang
