#include "tlog/checkpoint.h"

#include <fmt/format.h>

#include "tlog/decimal.h"

namespace tuidang::tlog {

namespace {

// A line that can sit in a note: non-empty, UTF-8, no control character.
bool IsNoteLine(std::string_view line) {
  return !line.empty() && line.find('\n') == std::string_view::npos && IsNoteText(line);
}

}  // namespace

Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  if (!IsNoteLine(checkpoint.origin)) return Error{"checkpoint: bad origin"};
  std::string text = fmt::format("{}\n{}\n{}\n", checkpoint.origin, checkpoint.size,
                                 HashToBase64(checkpoint.root));
  for (const std::string& extension : checkpoint.extensions) {
    if (!IsNoteLine(extension)) return Error{"checkpoint: bad extension line"};
    text += extension;
    text.push_back('\n');
  }
  return text;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (!text.ends_with('\n')) return Error{"checkpoint: text does not end in a newline"};
  if (!IsNoteText(text)) return Error{"checkpoint: not UTF-8 text without control characters"};
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3) return Error{"checkpoint: fewer than three lines"};
  Checkpoint checkpoint;
  if (lines[0].empty()) return Error{"checkpoint: empty origin"};
  checkpoint.origin = std::string(lines[0]);
  if (!ParseDecimal(lines[1], &checkpoint.size)) return Error{"checkpoint: bad tree size"};
  Result<Hash> root = HashFromBase64(lines[2]);
  if (!root) return Error{"checkpoint: bad root hash"};
  checkpoint.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Error{"checkpoint: empty extension line"};
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& signer) {
  Result<std::string> text = FormatCheckpoint(checkpoint);
  if (!text) return text;
  return SignNote(*text, signer);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, std::string_view origin,
                                  std::span<const NoteVerifier> log_keys) {
  Result<Note> note = OpenNote(signed_note, log_keys);
  if (!note) return Error{note.error()};
  Result<Checkpoint> checkpoint = ParseCheckpoint(note->text);
  if (!checkpoint) return checkpoint;
  if (checkpoint->origin != origin) {
    return Error{fmt::format("checkpoint: origin {:?}, want {:?}", checkpoint->origin, origin)};
  }
  return checkpoint;
}

}  // namespace tuidang::tlog
