// Sign-up sheets and volunteers' spreadsheets: CSV files imported as statements entered by
// an operator (`tuidang import`, and the console's upload). docs/import.md describes the
// columns, encodings and guarantees.
//
// Thread-safety: ImportCsv may run beside the server (another process or thread): it
// writes through the intake (intake/intake.h) and its writer, and SQLite serialises the
// writers of two processes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/vocabulary.h"
#include "intake/intake.h"
#include "store/store.h"

namespace tuidang::intake {

// A file larger than this is refused: one import is one transaction held in memory, and a
// sheet of 2 million rows is already far beyond what a volunteer gathers.
constexpr size_t kMaxImportBytes = 512u << 20;

struct ImportOptions {
  Channel channel = Channel::kSheet;
  int64_t operator_id = 0;  // who imports: stored on every statement, never published
  std::string file_name;    // for the report and the audit trail ("sheet.csv")
  // "" detects; otherwise "utf-8", "gb18030" (also "gbk", "gb2312"), "big5" or "utf-16".
  std::string encoding;
  bool dry_run = false;  // validate and report, store nothing
  bool partial = false;  // import the valid rows even when others are rejected
  bool publish = true;   // publish at once, or hold every statement for moderation
  // Historic records (the center's archive): the sheet's date column (日期, date) is each
  // statement's publication day, on or before today, and the statements are published at
  // once on it (docs/import.md, "Historic records"). Only for an admin: the caller checks
  // the operator's role. Without it a date column is ignored like any unknown column.
  bool historic = false;
  // Tells this sheet's rows apart from every other source's (docs/import.md): the same
  // name, the same source. Empty: file_name.
  std::string source;
  // Called now and then with (rows validated, rows in the file), then once with
  // (rows, rows) before the statements are written. May be empty.
  std::function<void(size_t done, size_t total)> progress;
};

// Why a row was rejected: a code and its arguments (RejectedRow::args), never a sentence,
// so that the console and the CLI word it in their language without parsing it back.
enum class RejectReason : uint8_t {
  kRequired,           // the column is empty
  kTooLong,            // longer than the field allows
  kInvalidCharacters,  // control or format characters
  kUnknownValue,       // args[0]: the value as typed, cut to kMaxEchoedChars (may be "")
  kTooManyPersons,     // args[0]: the most persons one statement names
  kBadBytes,           // args[0]: the encoding the file was read in ("GB18030")
  kTooManyCells,       // args[0]: the row's cells, args[1]: the header's
  kGroupRejected,      // args[0]: the line of the group's first rejected row
  kUnterminatedQuote,  // the file ends inside a quoted cell
  kBadDate,            // args[0]: the value as typed (cut like kUnknownValue)
  kFutureDate,         // args[0]: the day (YYYY-MM-DD), after today
  kTooEarly,           // args[0]: the day, args[1]: kEarliestHistoricDay
  kRepeatedRowId,      // args[0]: the id, args[1]: the line that has it first
};
// The earliest publication day a historic record may carry: the center's archive starts
// in December 2004, so an earlier day is a typing error (1024 for 2024), not a record.
inline constexpr Day kEarliestHistoricDay = 12418;  // 2004-01-01
// The reason's name ("required", "too_long", "unknown_value", "too_many", "bad_bytes",
// "cells", "group", "unterminated_quote", "bad_date", "future_date", "too_early",
// "repeated_id"): the console's catalog key is
// "import.reason.<name>", taking args in order.
std::string_view RejectReasonName(RejectReason r);

// A typed value quoted back in a report (an unknown region, organisation or real-name
// value) is cut to this many code points, followed by "…": a cell can be as long as the
// file, and the operator needs to recognise the value, not to read it again.
constexpr size_t kMaxEchoedChars = 60;

// A rejected row: the file's line where it starts (the header is line 1), the column it
// failed on ("name", "organisations", ..., or "" for the whole row) and why.
struct RejectedRow {
  int64_t line = 0;
  std::string field;
  RejectReason reason = RejectReason::kRequired;
  std::vector<std::string> args;  // as RejectReason says; valid UTF-8
  std::string Reason() const;     // in English: "unknown value "工会""
  std::string Describe() const;   // "line 7: organisations: unknown value "工会""
};

struct ImportReport {
  std::string encoding;  // as detected or given: "UTF-8", "GB18030", "BIG5-HKSCS"...
  char delimiter = ',';
  std::vector<std::string>
      ignored_columns;                // header cells mapping to no field, cut like a quoted value
  int64_t rows = 0;                   // data rows read (blank rows are not counted)
  int64_t statements = 0;             // valid statements found (a group of rows is one)
  int64_t persons = 0;                // persons they count
  std::vector<RejectedRow> rejected;  // in line order
  bool stored = false;                // false: dry run, or refused because rows were rejected
  int64_t imported = 0;               // statements written by this import
  int64_t imported_persons = 0;
  int64_t duplicates = 0;                // statements skipped because an import already stored them
  std::vector<int64_t> duplicate_lines;  // first line of each of them
  // Index by index with duplicate_lines: the earlier row each matched ("sheet.csv, line
  // 12"; empty for a row stored before the import named its rows).
  std::vector<std::string> duplicate_of;
  int64_t first_number = 0, last_number = 0;  // public numbers given (0: none)
};

// Parses `bytes` as a CSV file with a header row, validates every row and, unless
// options.dry_run or (without options.partial) a row was rejected, stores the valid
// statements in ONE transaction as one group through `intake` (Intake::SubmitGroup), and
// waits for it. Rows already imported (same normalised content, see docs/import.md) are
// skipped, so importing a file twice adds nothing. The same transaction appends
// ("imported", "<file>: N statements") for options.operator_id to the audit trail: a sheet
// whose entry cannot be written is not stored.
// Returns an error (and stores nothing) when the file cannot be read as a sheet (too big,
// undecodable, no name or organisations column), the intake refuses it or the store fails;
// rejected rows are not errors but part of the report. `intake` may be null for a dry run.
// REQUIRES: not called on the intake's answering thread (Sequencer).
Result<ImportReport> ImportCsv(std::string_view bytes, const ImportOptions& options,
                               Intake* intake);

// Exposed for tests.
// The encoding `bytes` are in ("UTF-8", "GB18030", "BIG5-HKSCS", "UTF-16"), guessed from a
// BOM, UTF-8 validity, the header's column names and then which reading gives more common
// characters.
std::string DetectEncoding(std::string_view bytes);
// Internal to the import (csv_encoding.cc): the canonical name of an encoding the user
// named ("gbk" gives "GB18030"), or empty; and how much more like real text `bytes` reads
// in GB18030 than in Big5.
std::string CanonicalEncoding(std::string_view name);
int64_t GbOverBig5(std::string_view bytes);
// `bytes` converted from `encoding` to UTF-8 (a leading BOM dropped). Bytes that are not
// valid in `encoding` become U+FFFD and their line numbers (1-based) go to *bad_lines.
Result<std::string> ToUtf8(std::string_view bytes, const std::string& encoding,
                           std::vector<int64_t>* bad_lines);

}  // namespace tuidang::intake
