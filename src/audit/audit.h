// The auditor behind `tuidang audit`: verifies a whole log from its public files alone
// (docs/log-format.md), without trusting the site or the mirror it reads from.
//
//  1. the stats (api/v1/stats, or api/v1/stats.json in a mirror), when published;
//  2. log/checkpoint, opened with the log's verifier key;
//  3. every entry bundle and hash tile of the checkpoint's tree, level by level: each bundle
//     hashes to its level-0 tile, each full tile to its hash in the level above, and the
//     tiles to the checkpoint's root;
//  4. the previous checkpoint, when given: the same tiles must give its root at its size;
//  5. the totals recomputed from the entries equal the published stats.
//
// The walk streams, in memory that grows with the days and the withdrawals, never with the
// leaves: a batch of tiles, at most 255 hashes per tile level waiting for the tile above, the
// per-day totals, the withdrawn leaves' numbers, and a small cache of tiles for re-reading the
// leaf a withdrawal cancels (proven against the checkpoint by an inclusion proof: reread.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit/source.h"
#include "audit/totals.h"
#include "core/result.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace tuidang::audit {

inline constexpr std::string_view kCheckpointPath = "log/checkpoint";
// Where a site publishes its totals: the API of a live site, or a file in a static mirror.
inline constexpr std::string_view kStatsPaths[] = {"api/v1/stats", "api/v1/stats.json"};

struct AuditProgress {
  uint64_t entries_done = 0, entries_total = 0;
  uint64_t tiles_done = 0, tiles_total = 0;  // hash tiles and entry bundles
};

struct AuditOptions {
  // Fail when none of kStatsPaths exists. A live site publishes its stats; a mirror folder
  // may hold the log alone, and then the totals are recomputed but not compared.
  bool require_stats = false;
  // Level-0 tiles fetched at once, with their bundles: enough requests in flight to hide a
  // distant site's round trip, little memory (a bundle of statement leaves is 12.5 KB).
  size_t batch_tiles = 32;
  // Called after each batch of tiles, on the calling thread.
  std::function<void(const AuditProgress&)> progress;
};

struct AuditReport {
  tlog::Checkpoint checkpoint;
  std::string signed_checkpoint;  // as fetched, to be saved for the next audit
  Totals totals;                  // of the checkpoint's tree
  uint64_t withdrawals = 0;       // withdrawal leaves
  // The previous checkpoint's size, when one was given: the log was shown to extend it.
  std::optional<uint64_t> previous_size;
  // Where the stats compared came from (a URL or file); empty when there were none.
  std::string stats_location;
  std::optional<uint64_t> stats_tree_size;  // when the stats name the size they describe
  uint64_t tiles_fetched = 0;               // hash tiles and entry bundles
  uint64_t bytes_fetched = 0;
  // Fetched again to read the leaves that withdrawals cancel, with their proofs (not in the
  // two above): the auditor keeps no per-leaf state (reread.h).
  uint64_t tiles_refetched = 0, bytes_refetched = 0;
};

// Audits the log that `source` serves, under `origin` (usually key.name()), against the
// signed `previous_checkpoint` from an earlier audit, if any. Returns the report, or the
// first failure, with a message that says what failed and where, such as:
//   "bad signature: the checkpoint at <URL> is not signed by <key> (...)"
//   "tile mismatch at tile/0/003 (<URL>): leaf 785 ... hashes to X but the tile holds Y"
//   "inconsistent trees: ..."
//   "totals differ: total_persons: the stats say 7, the log counts 5 (stats from <URL>)"
//   "missing file <DIR>/log/tile/0/000", "GET <URL>: HTTP 503"
Result<AuditReport> Audit(LogSource& source, const tlog::NoteVerifier& key, std::string_view origin,
                          std::optional<std::string> previous_checkpoint,
                          const AuditOptions& options = {});

// "audit ok: origin X, tree size N, root R, S statements, P persons (party A, league B,
// pioneers C), D days, W withdrawals; totals match <stats>; consistent with the saved
// checkpoint of size M", without a newline.
std::string SummaryLine(const AuditReport& report);

}  // namespace tuidang::audit
