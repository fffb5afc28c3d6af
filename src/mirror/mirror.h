// A C2SP tlog-mirror (https://c2sp.org/tlog-mirror) for any log that publishes C2SP
// checkpoints signed with an Ed25519 note key: it keeps a full copy of each configured log
// (mirror/state.h), updated by the log's pushes, and cosigns (Ed25519 cosignature/v1) only a
// checkpoint whose every entry it has stored durably and checked against the checkpoint's
// root. The copy is served as tlog-tiles under <monitoring prefix>/<hex SHA-256(origin)>.
// The HTTP layer (mirror/http_handler.h) only routes to the calls below, so tests drive them
// without a socket.
//
// Thread-safe: the state serialises the updates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mirror/protocol.h"
#include "mirror/state.h"
#include "tlog/cosignature.h"
#include "witness/witness.h"

namespace tuidang::mirror {

using witness::Answer;
using witness::WitnessedLog;

// add-entries answers 409 when the request re-sends more than this many entries the mirror
// holds already (the spec's "excess_entries is too large"): one package's worth, enough for
// a client that starts at a bundle boundary, little enough that nobody makes the mirror hash
// the same entries over and over.
inline constexpr uint64_t kMaxExcessEntries = 256;

class Mirror {
 public:
  using Clock = witness::Witness::Clock;

  // `state` must outlive the mirror. Fails if two logs share an origin or one has no key.
  static Result<std::unique_ptr<Mirror>> Create(std::vector<WitnessedLog> logs,
                                                tlog::Cosigner cosigner, MirrorState* state,
                                                Clock clock = witness::Witness::SystemSeconds);

  // add-checkpoint, handled as a witness's (every status of Witness::AddCheckpoint) but
  // updating the pending checkpoint, and answering 200 with an empty body: the mirror never
  // cosigns here. The log's verified signatures are kept with it.
  Answer AddCheckpoint(std::string_view body);

  // add-entries, `body` already decompressed: 400 for a malformed header, upload_start above
  // upload_end, no package or bytes after the last one; 404 for an unknown origin; 422 before
  // any pending checkpoint, or when a package's subtree proof fails; 409 (mirror-info) when
  // upload_end is not a known pending size or is below the mirror checkpoint, upload_start
  // is past the next entry, or too many entries are re-sent; 202 (mirror-info) when a prefix
  // of the packages was stored; 200 and the mirror's cosignature once every entry up to
  // upload_end is stored and that checkpoint is the mirror checkpoint; 500 when the state
  // cannot be stored. Entries are stored (durably) only once authenticated; nothing is stored
  // for a 400.
  Answer AddEntries(std::string_view body);

  // GET <monitoring prefix>/<origin hash>/<path>: "checkpoint" (the mirror checkpoint, with
  // the log's signatures and the mirror's cosignature) or a tlog-tiles "tile/..." path of
  // that checkpoint's tree; 404 for an unknown origin, a path it does not serve, or before
  // the first mirror checkpoint.
  Answer Monitored(std::string_view origin_hash, std::string_view path);

  const tlog::Cosigner& cosigner() const { return cosigner_; }
  const std::vector<WitnessedLog>& logs() const { return logs_; }

 private:
  Mirror(std::vector<WitnessedLog> logs, tlog::Cosigner cosigner, MirrorState* state, Clock clock);

  const WitnessedLog* FindLog(std::string_view origin) const;
  // Stores the authenticated packages; the answer when something went wrong, else nullopt
  // and *next_entry advanced.
  std::optional<Answer> StorePackages(const AddEntriesHeader& header, const StoredCheckpoint& end,
                                      std::string_view packages, uint64_t* next_entry);
  Answer Commit(const AddEntriesHeader& header, const StoredCheckpoint& end, uint64_t next_entry);

  std::vector<WitnessedLog> logs_;
  tlog::Cosigner cosigner_;
  MirrorState* state_;
  Clock clock_;
};

}  // namespace tuidang::mirror
