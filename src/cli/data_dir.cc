#include "cli/data_dir.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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

}  // namespace tuidang::cli
