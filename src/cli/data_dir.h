// The data folder: the database, the configuration and (later) the log's keys. Created
// with owner-only permissions: a declarant's statement is nobody else's business.
#pragma once

#include <string>

#include "cli/config.h"
#include "core/result.h"
#include "tlog/note.h"

namespace tuidang::cli {

struct DataDir {
  std::string path;
  std::string ConfigPath() const { return path + "/tuidang.toml"; }
  std::string DatabasePath() const { return path + "/tuidang.db"; }
  std::string LogKeyPath() const { return path + "/log.key"; }
};

// Creates `path` (mode 0700) and a default tuidang.toml when missing, then loads the
// configuration. Idempotent.
Result<Config> PrepareDataDir(const DataDir& dir);

// The log's signing key from dir/log.key, made (mode 0600) when missing. Refuses a key
// file that others can read, or one named for another origin.
Result<tlog::NoteSigner> LoadOrCreateLogKey(const DataDir& dir, const std::string& origin);

}  // namespace tuidang::cli
