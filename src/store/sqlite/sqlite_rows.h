// How the SQLite store's rows map to the domain, shared by its files (sqlite_*.cc): the one
// statement row mapping, persons, and the totals rows (daily, categories). Internal to
// store/sqlite. Not thread-safe: each function uses the connection it is given, from the
// thread that holds it.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/statement.h"
#include "core/totals.h"
#include "store/sqlite/sqlite_db.h"

namespace tuidang::sqlite {

// The columns every query that reads statements selects, in this order, for ReadStatement.
constexpr std::string_view kStatementColumns =
    "id, number, status, day, channel, language, region, occupation, text, operator, consent, "
    "place";
// The same columns of `statements s`, for queries that join it.
constexpr std::string_view kStatementColumnsOfS =
    "s.id, s.number, s.status, s.day, s.channel, s.language, s.region, s.occupation, s.text, "
    "s.operator, s.consent, s.place";
// The persons of one statement (?1), in order, as LoadPersons reads them.
constexpr std::string_view kPersonsOfStatement =
    "SELECT name, real_name, organisations FROM persons WHERE statement = ? ORDER BY position";

// The statement of the current row of `q`, which selected kStatementColumns; no persons.
Statement ReadStatement(const Stmt& q);
// Steps `q` (selecting kStatementColumns) to its end and resets it.
Result<std::vector<Statement>> CollectStatements(Stmt& q, Db& db);
// Appends to each of `statements` its persons, read with `persons` (kPersonsOfStatement,
// prepared on `db`).
Status LoadPersons(Stmt& persons, Db& db, std::vector<Statement>* statements);

// Writes the categories of `delta` into the `categories` table (inside the caller's
// transaction). Returns false on a storage error.
bool StoreCategories(Db& db, const Totals& delta);
// Adds what `delta` published on `day` to the daily and category totals, in the current
// transaction. Returns false on a database error.
bool AddPublished(Db& db, Day day, const Totals& delta);

}  // namespace tuidang::sqlite
