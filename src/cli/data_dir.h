// The data folder: the database, the configuration and (later) the log's keys. Created
// with owner-only permissions: a declarant's statement is nobody else's business.
#pragma once

#include <string>

#include <memory>
#include <optional>
#include "cli/config.h"

#include "core/result.h"
#include "store/sqlite/sqlite_store.h"
#include "tlog/note.h"
#include "web/i18n.h"

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

// What the commands other than serve work on: the data folder, its configuration and store.
struct OpenedData {
  DataDir dir;
  Config config;
  std::unique_ptr<SqliteStore> store;
};
// Sets umask 077, initialises libsodium, prepares the data folder at `path` (created when
// missing) and opens its store. On error logs the reason, stores the exit code to use in
// *exit_code (78 for a bad configuration, 1 otherwise) and returns nullopt.
std::optional<OpenedData> OpenDataDir(const std::string& path, int* exit_code);

// The log's signing key from dir/log.key, made (mode 0600) when missing. Refuses a key
// file that others can read, or one named for another origin.
Result<tlog::NoteSigner> LoadOrCreateLogKey(const DataDir& dir, const std::string& origin);

// What `serve` and `export` publish from, beside the configuration: the translation
// catalogs (from `locale_dir`, or found automatically when empty), the store and the log's
// signing key for `origin`. On error logs the reason and returns nullopt (exit code 1).
struct Publishing {
  web::Catalog catalog;
  std::unique_ptr<SqliteStore> store;
  tlog::NoteSigner signer;
};
std::optional<Publishing> OpenPublishing(const DataDir& dir, const std::string& locale_dir,
                                         const std::string& origin);

}  // namespace tuidang::cli
