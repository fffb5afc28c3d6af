// What a witness remembers (c2sp.org/tlog-witness): for each log origin, the latest
// checkpoint it cosigned (size, root hash, and the note as the monitoring endpoint serves
// it). Kept in SQLite in the witness's data folder (WAL, synchronous=FULL), so a COMMIT that
// returned is on disk: the witness stores a new head before it answers 200.
//
// Thread-safe: one connection behind a mutex, and every update inside BEGIN IMMEDIATE, so
// two requests (threads or processes on the same folder) can never both advance a log from
// the same old size.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/result.h"
#include "store/sqlite/sqlite_db.h"
#include "tlog/hash.h"

namespace tuidang::witness {

struct CosignedHead {
  uint64_t size = 0;
  tlog::Hash root{};
  std::string checkpoint;  // the signed note: the log's verified signatures and ours

  bool operator==(const CosignedHead&) const = default;
};

class WitnessState {
 public:
  // Opens the database at `path`, creating it and its schema when missing. Fails if it
  // cannot be opened or is not a witness database of a known version.
  static Result<std::unique_ptr<WitnessState>> Open(const std::string& path);

  // The head last stored for `origin`; nullopt when the witness never cosigned that log.
  Result<std::optional<CosignedHead>> Latest(std::string_view origin) EXCLUDES(mu_);

  // Given the head stored for the origin (nullopt: none), returns the head to store in its
  // place, or nullopt to store nothing. Called inside the transaction, with the lock held:
  // it must be quick and must not call back into the state.
  using Decide =
      std::function<std::optional<CosignedHead>(const std::optional<CosignedHead>& current)>;

  // Compare-and-set: reads the origin's head, asks `decide`, and stores what it returns,
  // all in one BEGIN IMMEDIATE transaction committed (durably) before this returns. On an
  // error nothing is stored (what `decide` returned is then not the stored head, and the
  // caller must not act on it).
  Status Advance(std::string_view origin, const Decide& decide) EXCLUDES(mu_);

 private:
  WitnessState() = default;

  Result<std::optional<CosignedHead>> Read(std::string_view origin) REQUIRES(mu_);

  Mutex mu_;
  sqlite::Db db_ GUARDED_BY(mu_);
};

}  // namespace tuidang::witness
