// tuidang purge: deletes rejected statements whose retention (rejected_retention_hours in
// tuidang.toml) has passed. `serve` runs the same purge every few minutes; this command is
// for a server that is not running, or for cron (docs/console.md).
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "intake/sequencer.h"

namespace tuidang::cli {

Subcommand AddPurge(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    int64_t hours = -1;
    std::string database;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "purge",
      "Delete rejected statements, and held ones their declarant withdrew (their rows, sealed "
      "fields and hold entries), once rejected_retention_hours have passed since the rejection "
      "or withdrawal. Names and text are deleted at the rejection or withdrawal already. Works "
      "while the server runs.");
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(cmd, &flags->database);
  cmd->add_option("--retention-hours", flags->hours,
                  "Override rejected_retention_hours for this run (0: every rejected statement)")
      ->check(CLI::NonNegativeNumber);
  return {cmd, [flags] {
            int code;
            auto opened = OpenDataDir(flags->data, &code, flags->database);
            if (!opened) return code;
            int64_t hours =
                flags->hours >= 0 ? flags->hours : opened->config.rejected_retention_hours;
            // Through a writer of this process's own, as every write (SQLite serialises it
            // with a running server's).
            Store* store = opened->store.get();
            Sequencer writer({store, store, store}, /*queue_limit=*/1, /*max_batch=*/1);
            auto n = AwaitWrite<Result<int64_t>>(
                [&](auto then) { return writer.PurgeRejected(hours, std::move(then)); },
                Error{"the writer is stopping"});
            if (!n) {
              spdlog::error("{}", n.error());
              return 75;  // EX_TEMPFAIL: the database was busy; run again
            }
            fmt::print("{} rejected statements purged (retention {} hours)\n", *n, hours);
            return 0;
          }};
}

}  // namespace tuidang::cli
