// A historic record's day, and what tells an imported row apart from every other (docs/import.md,
// "Importing twice adds nothing"), and the sheet stored as one group. Internal to the import
// (csv_import.cc).
//
// A row's source key is a BLAKE2b hash of its source (the sheet's name, or --source) and
// either its row id (an id column) or its normalised content with the occurrence of that
// content in the file. So a sheet imported again adds nothing, a sheet with rows appended
// adds only the new rows, and the same content from another source is another statement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/statement.h"
#include "intake/csv_import.h"

namespace tuidang::intake {

// A historic record's publication day as sheets write it: 2004-12-03, 2004/12/3,
// 2004.12.03 or 2004年12月3日; nullopt for anything else (and days before 2000, ParseDay).
std::optional<Day> ParseSheetDay(std::string_view cell);

// The normalised content that makes two rows of one source "the same": every field that is
// stored (the historic day too), never the receipt or the operator.
std::string ContentHash(const Statement& st);

// Hands out the source keys of one sheet, row by row in file order. Not thread-safe.
class SourceKeys {
 public:
  explicit SourceKeys(std::string source) : source_(std::move(source)) {}
  // Sets sub->source_key and sub->source_row for the statement whose first row is `line`,
  // of content `content_hash` and row id `row_id` (empty: none). Returns the line that
  // already has that id when the id is repeated in the file (nothing set), else nullopt.
  std::optional<int64_t> Assign(const std::string& content_hash, std::string_view row_id,
                                int64_t line, Submission* sub);

 private:
  std::string source_;
  std::unordered_map<std::string, int64_t> occurrences_;  // content hash → count so far
  std::unordered_map<std::string, int64_t> ids_;          // row id → its line
};

// Stores a sheet's statements `batch` (their first lines `batch_lines`, index by index) as
// one group through the intake, with the operator's audit entry in its transaction, and
// counts what was stored (and what matched earlier rows, with the rows they matched) into
// *report. Returns the store's or the queue's error (nothing stored).
Status StoreSheet(std::vector<Submission> batch, const std::vector<int64_t>& batch_lines,
                  const ImportOptions& options, Intake* intake, ImportReport* report);

}  // namespace tuidang::intake
