// The CSV import (src/intake/csv_reader.cc, csv_import.cc): the reader alone, then the whole
// import as a dry run (encoding detection and conversion, header mapping, every row's
// validation), which stores nothing. The first byte picks the encoding the operator gave
// ("" detects).
#include <sodium.h>

#include <cstdlib>
#include <string_view>

#include "intake/csv_import.h"
#include "intake/csv_reader.h"

using namespace tuidang;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = sodium_init() >= 0;
  if (!init) std::abort();
  if (size == 0) return 0;
  static const char* const kEncodings[] = {"", "utf-8", "gb18030", "big5", "utf-16", "gbk"};
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  intake::CsvReader reader(in);
  intake::CsvRecord rec;
  int64_t last = 0;
  while (reader.Next(&rec)) {
    // Records come in order and each ends where or after it starts.
    if (rec.line < last || rec.last_line < rec.line) std::abort();
    last = rec.last_line;
  }

  intake::ImportOptions options;
  options.encoding = kEncodings[data[0] % (sizeof kEncodings / sizeof *kEncodings)];
  options.dry_run = true;
  options.partial = data[0] & 0x80;
  auto report = intake::ImportCsv(in, options, nullptr);  // a dry run needs no intake
  // A dry run never stores, and never counts more statements than rows.
  if (report && (report->stored || report->statements > report->rows)) std::abort();
  return 0;
}
