// The data folder: the database, the configuration and (later) the log's keys. Created
// with owner-only permissions: a declarant's statement is nobody else's business.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/config.h"

#include "core/result.h"
#include "store/open_store.h"
#include "tlog/note.h"
#include "web/i18n.h"

namespace tuidang::cli {

struct DataDir {
  std::string path;
  std::string ConfigPath() const { return path + "/tuidang.toml"; }
  std::string DatabasePath() const { return path + "/tuidang.db"; }
  std::string LogKeyPath() const { return path + "/log.key"; }
  // Where the store is (store/open_store.h): `database_flag` when given, else the
  // configuration's `database`, else the SQLite file above.
  StoreLocation Location(const Config& config, const std::string& database_flag = "") const {
    return {database_flag.empty() ? config.database : database_flag, DatabasePath(), ""};
  }
};

// Adds --database (a PostgreSQL conninfo or URI, overriding `database` in tuidang.toml) to a
// command that opens the store.
void AddDatabaseOption(CLI::App* cmd, std::string* database);

// Creates `path` (mode 0700) and a default tuidang.toml when missing, then loads the
// configuration. Idempotent.
Result<Config> PrepareDataDir(const DataDir& dir);

// What the commands other than serve work on: the data folder, its configuration and store.
struct OpenedData {
  DataDir dir;
  Config config;
  std::unique_ptr<Store> store;
};
// Sets umask 077, initialises libsodium, prepares the data folder at `path` (created when
// missing) and opens its store (`database` when given, DataDir::Location). On error logs the
// reason, stores the exit code to use in *exit_code (78 for a bad configuration, 1
// otherwise) and returns nullopt.
std::optional<OpenedData> OpenDataDir(const std::string& path, int* exit_code,
                                      const std::string& database = "");

// The log's signing key from dir/log.key, made (mode 0600) when missing. Refuses a key
// file that others can read, or one named for another origin.
Result<tlog::NoteSigner> LoadOrCreateLogKey(const DataDir& dir, const std::string& origin);

// What `serve` and `export` publish from, beside the configuration: the translation
// catalogs (from `locale_dir`, or found automatically when empty), the store at `store` and
// the log's signing key for `origin`. On error logs the reason and returns nullopt (exit
// code 1).
struct Publishing {
  web::Catalog catalog;
  std::unique_ptr<Store> store;
  tlog::NoteSigner signer;
};
std::optional<Publishing> OpenPublishing(const DataDir& dir, const std::string& locale_dir,
                                         const std::string& origin, const StoreLocation& store);

}  // namespace tuidang::cli
