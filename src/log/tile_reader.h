// The log's tiles as the log store keeps them: hash tiles as stored (the widest version,
// full level-0 tiles included), partial level-0 tiles and entry bundles assembled from the
// leaves. Read by the integrator when it
// resumes, by the /log/ pages (web/log.cc) and by the export.
#pragma once

#include <string>

#include "core/result.h"
#include "store/log_store.h"
#include "tlog/tile.h"

namespace tuidang {

// Thread-safe as the store is. `store` must outlive the reader.
class StoreTileReader : public tlog::TileReader {
 public:
  explicit StoreTileReader(LogStore* store) : store_(store) {}
  // The tile's bytes; an error when the store fails, when a leaf it covers is missing, or
  // when the stored hash tile is narrower than asked (not yet integrated that far).
  Result<std::string> ReadTile(const tlog::TileId& tile) override;

 private:
  LogStore* store_;
};

}  // namespace tuidang
