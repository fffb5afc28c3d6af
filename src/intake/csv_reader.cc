#include "intake/csv_reader.h"

namespace tuidang::intake {

CsvReader::CsvReader(std::string_view text) : text_(text) {
  // The delimiter that occurs most often outside quotes in the first line.
  size_t counts[3] = {0, 0, 0};
  const char candidates[3] = {',', '\t', ';'};
  bool quoted = false;
  for (char c : text.substr(0, text.find('\n'))) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (int i = 0; i < 3; ++i) counts[i] += c == candidates[i];
  }
  int best = 0;
  for (int i = 1; i < 3; ++i) {
    if (counts[i] > counts[best]) best = i;
  }
  delimiter_ = candidates[best];
}

bool CsvReader::Next(CsvRecord* rec) {
  if (pos_ >= text_.size()) return false;
  rec->line = line_;
  rec->unterminated = false;
  size_t n = 0;  // cells used in rec->cells
  auto next_cell = [&]() -> std::string& {
    if (n == rec->cells.size()) rec->cells.emplace_back();
    std::string& c = rec->cells[n++];
    c.clear();
    return c;
  };
  std::string* cell = &next_cell();
  const size_t size = text_.size();
  while (pos_ < size) {
    char c = text_[pos_];
    if (c == '"' && cell->empty()) {
      // A quoted cell: up to the closing quote, "" standing for one quote.
      ++pos_;
      bool closed = false;
      while (pos_ < size) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) q = size;
        std::string_view part = text_.substr(pos_, q - pos_);
        for (char x : part) line_ += x == '\n';
        cell->append(part);
        pos_ = q;
        if (pos_ >= size) break;
        if (pos_ + 1 < size && text_[pos_ + 1] == '"') {
          cell->push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        closed = true;
        break;
      }
      if (!closed) rec->unterminated = true;
      // Whatever follows the closing quote up to the delimiter is kept as typed.
      continue;
    }
    if (c == delimiter_) {
      ++pos_;
      cell = &next_cell();
      continue;
    }
    if (c == '\n' || c == '\r') {
      ++pos_;
      if (c == '\r' && pos_ < size && text_[pos_] == '\n') ++pos_;
      rec->last_line = line_;
      ++line_;
      rec->cells.resize(n);
      return true;
    }
    // Plain characters up to the next special one, appended at once.
    size_t end = pos_;
    while (end < size && text_[end] != delimiter_ && text_[end] != '\n' && text_[end] != '\r' &&
           !(text_[end] == '"' && cell->empty() && end == pos_)) {
      ++end;
    }
    cell->append(text_.substr(pos_, end - pos_));
    pos_ = end;
  }
  rec->last_line = line_;
  rec->cells.resize(n);
  return true;
}

}  // namespace tuidang::intake
