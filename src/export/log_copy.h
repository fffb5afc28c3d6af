// `tuidang export --log-from`: the static export's log folder (log/checkpoint, log/tile/...)
// copied from a mirror's copy of the log instead of the center's store, so that someone who
// holds only a mirror can publish a static copy of the log (docs/export.md, docs/mirror.md).
//
// Nothing read from the mirror is trusted. The copy is read through the auditor (audit.h),
// which opens the checkpoint with the log's key, hashes every entry bundle to its level-0
// tile and every tile to the checkpoint's root, and, when the folder already holds a copy,
// proves that the new tree extends its checkpoint. What it reads is written aside and moved
// into the folder only once all of it verified, the checkpoint last: the folder holds the
// previous copy or the new one, never a byte the checkpoint's root does not cover.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "audit/source.h"
#include "core/result.h"
#include "tlog/note.h"

namespace tuidang::exporter {

// Where a mirror's copy is read: `from` is either an http:// or https:// URL, the copy's
// address as `tuidang audit` takes it (a tuidang mirror's `<prefix>/<hex SHA-256 of the
// origin>`, read as `<URL>/log/checkpoint`, `<URL>/log/tile/...`; a tuidang site or a served
// static export works too), or the data folder of a `tuidang mirror serve` (its mirror.db,
// read beside the running mirror; the copy of `origin`). Fails when `from` is neither, or the
// folder has no mirror.db or no copy of `origin` yet.
Result<std::unique_ptr<audit::LogSource>> OpenMirrorCopy(const std::string& from,
                                                         const std::string& origin);

struct LogCopyReport {
  uint64_t tree_size = 0;
  std::optional<uint64_t> previous_size;  // the folder's checkpoint before, when it had one
  uint64_t fetched = 0;                   // files read from the mirror
  uint64_t kept = 0;                      // full tiles already in the folder, read there
  uint64_t written = 0;                   // files moved into the folder
  uint64_t deleted = 0;                   // partial tiles no checkpoint kept names any more
};

// Copies the log that `from` serves into `out`/log/, verified with `key` under `origin`.
// A folder that already holds a copy is extended (its full tiles are read from it, not the
// mirror, and checked again); the partial tiles of its previous checkpoint stay one copy
// more, as the export keeps them. Refuses a folder holding a site export (manifest.txt: its
// signed manifest would no longer match). On error nothing in `out`/log/ has changed.
Result<LogCopyReport> CopyLog(audit::LogSource& from, const tlog::NoteVerifier& key,
                              const std::string& origin, const std::string& out);

}  // namespace tuidang::exporter
