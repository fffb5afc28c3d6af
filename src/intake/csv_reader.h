// A CSV reader for spreadsheets' exports (RFC 4180 and what Excel and WPS actually write):
// quoted cells with doubled quotes and line breaks inside, CR LF or LF line ends, and the
// delimiter (comma, tab or semicolon) guessed from the first line. Pure, no I/O.
//
// Hand-written because Debian offers no C++ CSV library; libcsv (C) would still need the
// line tracking that the import's report needs (the line where each row starts).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tuidang::intake {

struct CsvRecord {
  int64_t line = 0;       // 1-based line where the record starts
  int64_t last_line = 0;  // where it ends (later than `line` with line breaks in a cell)
  std::vector<std::string> cells;
  bool unterminated = false;  // the file ends inside a quoted cell
};

class CsvReader {
 public:
  // `text` must outlive the reader.
  explicit CsvReader(std::string_view text);
  char delimiter() const { return delimiter_; }
  // Reads the next record into *rec (reusing its storage); false at the end of the text.
  bool Next(CsvRecord* rec);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  char delimiter_ = ',';
};

}  // namespace tuidang::intake
