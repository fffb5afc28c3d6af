// tuidang migrate: applies the schema migrations this build knows to the store (SQLite in
// the data folder, or the PostgreSQL database of `database` / --database), and says which
// version it found and left. Idempotent; refuses a schema newer than this build knows.
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"

namespace tuidang::cli {

Subcommand AddMigrate(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    std::string database;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Bring the database's schema to the version this tuidang knows (serve and the other "
      "commands do so when they open it). Refuses a schema made by a newer tuidang.");
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(cmd, &flags->database);
  return {cmd, [flags] {
            ::umask(077);
            DataDir dir{flags->data};
            auto config = PrepareDataDir(dir);
            if (!config) {
              spdlog::error("{}", config.error());
              return 78;  // EX_CONFIG
            }
            const StoreLocation location = dir.Location(*config, flags->database);
            if (Status s = CheckDatabaseSetting(location.database); !s) {
              spdlog::error("{}", s.message());
              return 78;
            }
            auto report = MigrateStore(location);
            if (!report) {
              spdlog::error("{}", report.error());
              return 1;
            }
            if (report->from == report->to) {
              fmt::print("{}: schema version {}, nothing to do\n", DescribeStore(location),
                         report->to);
            } else {
              fmt::print("{}: schema version {} -> {}\n", DescribeStore(location), report->from,
                         report->to);
            }
            return 0;
          }};
}

}  // namespace tuidang::cli
