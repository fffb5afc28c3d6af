// tuidang export: the public site and its log as static files that any web host, CDN or USB
// stick can serve, with a manifest of every file's SHA-256 signed with the log's key
// (docs/export.md). A statement has no file of its own: it is an anchor in its day list, and
// its certificate one in the certificates file of that day page, so that a million
// statements make about 100,000 files, not 3 million.
//
// Incremental: a second export into the same folder renders only the days whose counts
// changed (and today), carries every other file over from the previous manifest, and
// writes a file only when its bytes differ; full tiles and closed days are never rewritten.
// Atomic for readers: every file is written aside and renamed into place, the manifest
// after the pages and the checkpoint last; files that the new checkpoint no longer needs are
// deleted only after it is in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"
#include "tlog/note.h"
#include "web/i18n.h"

namespace tuidang::exporter {

// What the export reads: the published statements, their openings, the totals and the log
// (leaves, tiles, checkpoints) from `store`, the translations from `catalog`. Not owned;
// they must outlive the export.
struct ExportSource {
  Store* store = nullptr;
  const web::Catalog* catalog = nullptr;
  std::string log_origin;  // the log's origin line, printed on the certificates
};

struct ExportOptions {
  std::string out;                       // the mirror folder (created when missing)
  std::string base_url;                  // where the mirror will be served; may be empty
  std::vector<std::string> submit_urls;  // live addresses that receive statements
  std::string verifier_key;              // the log's, shown on the mirror's check page
  std::string software_url;              // where the center publishes tuidang (log.html)
  bool full = false;                     // re-render every page (after an upgrade)
  int threads = 2;                       // threads rendering and writing the pages of a day
};

struct ExportReport {
  uint64_t tree_size = 0;
  size_t files = 0;    // in the manifest
  size_t written = 0;  // files (re)written by this export
  size_t deleted = 0;  // files of the previous export no longer part of the site
  size_t days_rendered = 0;
};

// The manifest's file names in the export, and its signed note's first line.
inline constexpr std::string_view kManifestFile = "manifest.txt";
inline constexpr std::string_view kManifestNoteFile = "manifest.sig";
inline constexpr std::string_view kManifestHeader = "tuidang mirror manifest v1";
// The exporter's own bookkeeping (counts of the days it rendered); not part of the site.
inline constexpr std::string_view kStateFile = ".export-state";

// Exports the public site of `source` into options.out, rendering its pages with the
// export's links (export/links.h). source.store must hold a checkpoint that covers its
// totals (the caller integrates first). `signer` signs the manifest. On error the folder
// holds the previous export, possibly with some new files beside it (never a changed
// checkpoint or manifest).
Result<ExportReport> Export(const ExportSource& source, const tlog::NoteSigner& signer,
                            const ExportOptions& options);

// The manifest's signed note for `manifest` (the text of manifest.txt) at `tree_size`.
std::string ManifestNoteText(std::string_view manifest, uint64_t tree_size, size_t files);

// Checks a mirror folder against its signed manifest: the note's signature with `verifier`,
// manifest.txt's hash, then every file's SHA-256; reports missing, changed and unlisted
// files. Returns the number of files checked, or the first problems found.
Result<size_t> VerifyMirror(const std::string& dir, const tlog::NoteVerifier& verifier);

}  // namespace tuidang::exporter
