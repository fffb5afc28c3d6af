// The data folder: the database, the configuration and (later) the log's keys. Created
// with owner-only permissions: a declarant's statement is nobody else's business.
#pragma once

#include <string>

#include "cli/config.h"
#include "core/result.h"

namespace tuidang::cli {

struct DataDir {
  std::string path;
  std::string ConfigPath() const { return path + "/tuidang.toml"; }
  std::string DatabasePath() const { return path + "/tuidang.db"; }
};

// Creates `path` (mode 0700) and a default tuidang.toml when missing, then loads the
// configuration. Idempotent.
Result<Config> PrepareDataDir(const DataDir& dir);

}  // namespace tuidang::cli
