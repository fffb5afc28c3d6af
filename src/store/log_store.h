// The log store: the leaves the writer appends, and the tiles and signed checkpoints that
// the integrator (log/integrator.h) makes of them. The log's pages (/log/...) read it
// through log/tile_reader.h.
//
// Thread-safety: every method may be called from any thread, and several integrators (of
// this process or others on the same database) may call SaveCheckpoint at once: it is
// fenced (see there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tuidang {

// A stored tile or entry bundle of the log; `level` -1 is an entry bundle.
struct StoredTile {
  int level = 0;
  uint64_t index = 0;
  int width = 0;
  std::string data;
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Leaves are appended by BatchWriter::CommitBatch and Withdraw (and the publication and
  // moderation writes); nothing here appends one.
  // Number of leaves appended so far.
  virtual Result<uint64_t> LeafCount() = 0;
  // Entries of leaves [begin, end), in order; an error if one of them is missing.
  virtual Result<std::vector<std::string>> ReadLeaves(uint64_t begin, uint64_t end) = 0;
  // Stores the tiles that tree size `size` adds (keeping the widest version of each) and
  // the signed checkpoint for it, in one durable transaction, if the latest checkpoint
  // stored is still of size `after` (nullopt: none yet) when the transaction commits: the
  // fence between integrators of several processes (docs/postgres.md). Returns true when
  // stored; false, with nothing stored, when another integrator published meanwhile or is
  // publishing now (the caller re-reads the latest checkpoint and tries again later); an
  // error, with nothing stored, when the store fails. A size never gets a second checkpoint.
  virtual Result<bool> SaveCheckpoint(const std::vector<StoredTile>& tiles,
                                      std::optional<uint64_t> after, uint64_t size,
                                      const std::string& signed_checkpoint) = 0;
  // The latest signed checkpoint and its size; nullopt before the first.
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() = 0;
  // The stored (widest) version of hash tile (level, index); nullopt if none.
  virtual Result<std::optional<StoredTile>> ReadHashTile(int level, uint64_t index) = 0;
  // True if some checkpoint was published for a size in [lo, hi).
  virtual Result<bool> PublishedSizeIn(uint64_t lo, uint64_t hi) = 0;

  // The checkpoint that /log/checkpoint serves once witnesses are configured
  // (log/cosigning.h): a checkpoint of `size` saved by SaveCheckpoint, with the log's
  // signature and the witnesses' cosignature lines. Replaces the one saved before, durably;
  // on error the earlier one stays.
  virtual Status SaveServedCheckpoint(uint64_t size, const std::string& cosigned_checkpoint) = 0;
  // What SaveServedCheckpoint saved last, and its size; nullopt before the first.
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> ServedCheckpoint() = 0;
  // The checkpoint the site serves (/log/checkpoint, the receipts' proofs): ServedCheckpoint's
  // when there is one (witnesses are configured), else LatestCheckpoint's; nullopt before the
  // first. One read where the store can (a receipt's look-up is a handful of them).
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> PublicCheckpoint() = 0;
};

}  // namespace tuidang
