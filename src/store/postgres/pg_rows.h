// How PostgresStore's rows map to the domain, shared by its files (pg_*.cc): the one
// statement row mapping, persons, the totals rows (daily, categories), the audit trail's
// entries and the day lists' page index. Internal to store/postgres. Not thread-safe:
// each function uses the connection it is given, from the thread that holds it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/moderation.h"
#include "core/result.h"
#include "core/statement.h"
#include "core/totals.h"
#include "store/operator_store.h"
#include "store/postgres/pg_conn.h"

namespace tuidang::pg {

// The columns every query that reads statements selects, in this order, for ReadStatement.
constexpr std::string_view kStatementColumns =
    "id, number, status, day, channel, language, region, occupation, text, operator, consent, "
    "place";

// The statement of row `row` of `rows`, which selected kStatementColumns; no persons.
Statement ReadStatement(const Rows& rows, int row);
std::vector<Statement> ReadStatements(const Rows& rows);
// Appends to each of `statements` its persons, in order (one query for all of them).
Status LoadPersons(Conn& c, std::vector<Statement>* statements);

// Adds `delta` (what was published on `day`, or withdrawn: negative) to the daily and
// category totals, in the caller's transaction.
Status AddPublished(Conn& c, Day day, const Totals& delta);
// Adds the categories of `delta` to the `categories` table, in the caller's transaction.
Status StoreCategories(Conn& c, const Totals& delta);

// Appends `entries` to the audit trail dated `day` (operator_store.h: inside the
// transaction of the action they record).
Status WriteAudit(Conn& c, const std::vector<AuditEntry>& entries, Day day);

// The day lists' page index (as store/sqlite/sqlite_day_index.h: the number at every
// kAnchorEvery-th rank of each day's published statements), kept by the transactions that
// publish or withdraw, which hold the coordination row so that no two change a day at once.
constexpr int64_t kAnchorEvery = 50;
// How many published statements of `day` have a number below `before` (0: no bound).
Result<int64_t> PublishedBelow(Conn& c, Day day, int64_t before);
// The number at ascending `rank` of `day`'s published statements; nullopt past the last.
Result<std::optional<int64_t>> NumberAtRank(Conn& c, Day day, int64_t rank);
// `count` statements numbered first, first + 1, ... were just published on `day`.
Status AnchorPublished(Conn& c, Day day, int64_t first, int64_t count);
// Moves the anchors of `day` after the withdrawal of `number` (already out of status 1).
Status AnchorWithdrawn(Conn& c, Day day, int64_t number);

// The moderation counters (pg_moderation_counts.cc, core/moderation.h), in the caller's
// transaction: adds `n` to (day, event, reason); counts as rejected on `day`, under its hold
// reason, statement `id` (call once it is rejected), or the held statements `ids` of a flood
// group (locked, about to be rejected).
Status CountModeration(Conn& c, Day day, ModerationEvent event, std::string_view reason, int64_t n);
Status CountRejected(Conn& c, Day day, int64_t id);
Status CountRejectedGroup(Conn& c, Day day, const std::vector<int64_t>& ids);

}  // namespace tuidang::pg
