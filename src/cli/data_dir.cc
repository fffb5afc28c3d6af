#include "cli/data_dir.h"

#include <sys/stat.h>

#include <sodium.h>

#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

namespace tuidang::cli {

Result<Config> PrepareDataDir(const DataDir& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir.path)) {
    fs::create_directories(dir.path, ec);
    if (ec) return Error{"cannot create data folder " + dir.path + ": " + ec.message()};
    fs::permissions(dir.path, fs::perms::owner_all, ec);
  } else if (!fs::is_directory(dir.path)) {
    return Error{dir.path + " is not a folder"};
  }
  if (!fs::exists(dir.ConfigPath())) {
    std::string tmp = dir.ConfigPath() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << DefaultConfigText();
      if (!out) return Error{"cannot write " + tmp};
    }
    fs::rename(tmp, dir.ConfigPath(), ec);
    if (ec) return Error{"cannot write " + dir.ConfigPath() + ": " + ec.message()};
  }
  return LoadConfig(dir.ConfigPath());
}

Result<tlog::NoteSigner> LoadOrCreateLogKey(const DataDir& dir, const std::string& origin) {
  namespace fs = std::filesystem;
  std::string path = dir.LogKeyPath();
  if (!fs::exists(path)) {
    auto signer = tlog::NoteSigner::Generate(origin);
    if (!signer) return Error{"cannot make the log key: " + signer.error()};
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << signer->SignerKey() << "\n";
      if (!out) return Error{"cannot write " + tmp};
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
    fs::rename(tmp, path);
    return signer;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Error{"cannot read " + path};
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return Error{path + " is readable by others: run chmod 600 " + path};
  }
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  auto signer = tlog::NoteSigner::Parse(text);
  if (!signer) return Error{path + ": " + signer.error()};
  if (signer->name() != origin) {
    return Error{path + " signs for '" + signer->name() + "', but the log's origin is '" + origin +
                 "' (log_origin or public_url in tuidang.toml changed?)"};
  }
  return signer;
}

void AddDatabaseOption(CLI::App* cmd, std::string* database) {
  cmd->add_option("--database", *database,
                  "PostgreSQL connection string or URI (default: 'database' in tuidang.toml; "
                  "unset: SQLite in the data folder)");
}

std::optional<OpenedData> OpenDataDir(const std::string& path, int* exit_code,
                                      const std::string& database) {
  ::umask(077);
  *exit_code = 1;
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return std::nullopt;
  }
  DataDir dir{path};
  auto config = PrepareDataDir(dir);
  if (!config) {
    spdlog::error("{}", config.error());
    *exit_code = 78;  // EX_CONFIG
    return std::nullopt;
  }
  const StoreLocation location = dir.Location(*config, database);
  if (Status s = CheckDatabaseSetting(location.database); !s) {
    spdlog::error("{}", s.message());
    *exit_code = 78;
    return std::nullopt;
  }
  auto store = OpenStore(location);
  if (!store) {
    spdlog::error("{}", store.error());
    return std::nullopt;
  }
  *exit_code = 0;
  return OpenedData{dir, std::move(*config), std::move(*store)};
}

std::optional<Publishing> OpenPublishing(const DataDir& dir, const std::string& locale_dir,
                                         const std::string& origin, const StoreLocation& location) {
  auto catalog = web::Catalog::Load(locale_dir.empty() ? web::Catalog::DefaultDir() : locale_dir);
  if (!catalog) {
    spdlog::error("{}", catalog.error());
    return std::nullopt;
  }
  auto store = OpenStore(location);
  if (!store) {
    spdlog::error("{}", store.error());
    return std::nullopt;
  }
  auto signer = LoadOrCreateLogKey(dir, origin);
  if (!signer) {
    spdlog::error("{}", signer.error());
    return std::nullopt;
  }
  return Publishing{std::move(*catalog), std::move(*store), std::move(*signer)};
}

}  // namespace tuidang::cli
