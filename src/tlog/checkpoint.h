// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head, a signed
// note whose text is
//
//   <origin>
//   <tree size in decimal>
//   <base64 root hash>
//   [extension lines]
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/note.h"

namespace tuidang::tlog {

struct Checkpoint {
  std::string origin;  // the log's identity, e.g. "example.org/log"
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // opaque lines; the spec advises against them

  bool operator==(const Checkpoint&) const = default;
};

// The note text of `checkpoint`, ending in a newline. Fails if the origin or an extension is
// empty or is not a valid note line (UTF-8, no control characters).
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// Inverse of FormatCheckpoint on a note's text, strict: UTF-8 without control characters
// (IsNoteText); three lines or more, each ending in a newline; a non-empty origin; a size in
// decimal with no sign and no leading zero (save "0") that fits 64 bits; a root in canonical
// base64 of 32 bytes; non-empty extensions.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// The signed checkpoint note, as served at <prefix>/checkpoint.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& signer);

// Opens a signed checkpoint note with the log's keys (OpenNote), parses its text, and checks
// that its origin is `origin`. Fails on any of these.
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, std::string_view origin,
                                  std::span<const NoteVerifier> log_keys);

}  // namespace tuidang::tlog
