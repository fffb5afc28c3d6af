// tuidang migrate-store: moves a center from its SQLite store (DATA_DIR/tuidang.db) into a
// PostgreSQL database, every row the PostgreSQL store keeps (store/postgres/pg_from_sqlite.h),
// resumable and idempotent; with --set-database, then points DATA_DIR/tuidang.toml at it.
// The SQLite file is only read. docs/postgres.md, "Moving a center from SQLite".
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/backup_postgres.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/exit_codes.h"
#include "store/postgres/pg_from_sqlite.h"

namespace tuidang::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHelp =
    "Move a center from its SQLite store (DATA_DIR/tuidang.db) into PostgreSQL: statements, "
    "numbers, receipts, held and rejected ones, sealed fields, withdrawals, operators and "
    "their audit trail, the log's leaves, tiles and checkpoints, the served checkpoint, the "
    "day index, the name index and the statistics. The log continues from the same tree. "
    "Steps: stop `tuidang serve` (statements that arrive during the copy would stay in SQLite "
    "only: a run that finds the SQLite store changed since it began refuses to resume), run "
    "this command, then set database = \"URL\" in tuidang.toml (--set-database does it) and "
    "start the server. The SQLite file is only read. A run that is interrupted can be run "
    "again and goes on where it stopped; a run after completion says there is nothing to "
    "do. The target must be empty (or this migration, half-finished).";

// `toml` at `path` rewritten with its database = line set to `conninfo` (atomically: a new
// file renamed over the old one, mode 0600).
Status SetDatabase(const std::string& path, const std::string& conninfo) {
  std::string toml;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) toml.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string tmp = path + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << pgbackup::WithDatabase(toml, conninfo);
    out.flush();
    if (!out) return Status::Fail("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Fail("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

int Run(const std::string& from, const std::string& to, int64_t chunk_rows, bool set_database) {
  ::umask(077);
  if (to.empty()) {
    spdlog::error("--to: give the PostgreSQL database to move the center into");
    return kExUsage;
  }
  if (Status s = CheckDatabaseSetting(to); !s) {
    spdlog::error("--to: {}", s.message());
    return kExUsage;
  }
  const DataDir dir{from};
  std::error_code ec;
  if (!fs::is_directory(from, ec) || !fs::is_regular_file(dir.DatabasePath(), ec)) {
    spdlog::error("--from {}: not a tuidang data folder (no tuidang.db in it)", from);
    return kExNoInput;
  }
  pgmigrate::Options opts;
  opts.sqlite_path = dir.DatabasePath();
  opts.conninfo = to;
  opts.chunk_rows = chunk_rows;
  opts.on_chunk = [](const std::string& table, int64_t copied, int64_t total) {
    fmt::print("{}: {} of {} rows\n", table, copied, total);
    std::fflush(stdout);
  };
  const auto start = std::chrono::steady_clock::now();
  pgmigrate::Failure why;
  auto report = pgmigrate::MigrateSqliteToPostgres(opts, &why);
  if (!report) {
    spdlog::error("migrate-store: {}", report.error());
    switch (why) {
      case pgmigrate::Failure::kSource: return kExNoInput;
      case pgmigrate::Failure::kUnreachable: return kExTempFail;
      default: return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const StoreLocation target{to, "", ""};
  if (report->already_done) {
    fmt::print("{}: this center was migrated there already (log of {} leaves): nothing to do\n",
               DescribeStore(target), report->tree_size);
  } else {
    int64_t statements = 0;
    for (const auto& t : report->tables) {
      if (t.table == "statements") statements = t.rows;
    }
    fmt::print(
        "{}: {}migrated {} statements, a log of {} leaves; {} rows copied in {:.1f} s ({:.0f} "
        "rows/s)\n",
        DescribeStore(target), report->resumed ? "resumed and " : "", statements, report->tree_size,
        report->rows_copied, seconds,
        seconds > 0 ? static_cast<double>(report->rows_copied) / seconds : 0.0);
  }
  if (set_database) {
    if (Status s = SetDatabase(dir.ConfigPath(), to); !s) {
      spdlog::error("{}", s.message());
      return 1;
    }
    fmt::print("{}: database set to the PostgreSQL database; start `tuidang serve --data {}`\n",
               dir.ConfigPath(), from);
  } else if (!report->already_done) {
    fmt::print(
        "next: set database = \"...\" in {} (or run again with --set-database), then "
        "start the server\n",
        dir.ConfigPath());
  }
  return 0;
}

}  // namespace

Subcommand AddMigrateStore(CLI::App& app) {
  struct Flags {
    std::string from, to;
    int64_t chunk_rows = 50000;
    bool set_database = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("migrate-store", std::string(kHelp));
  cmd->add_option("--from", flags->from, "The data folder of the center on SQLite")->required();
  cmd->add_option("--to", flags->to,
                  "The PostgreSQL database (connection string or postgresql:// URI; PG* "
                  "environment variables fill in what it leaves out)")
      ->required();
  cmd->add_option("--chunk-rows", flags->chunk_rows,
                  "Rows per committed chunk (a resumed run goes on from the last one)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  cmd->add_flag("--set-database", flags->set_database,
                "Once done, set database = in the data folder's tuidang.toml to --to");
  return {cmd,
          [flags] { return Run(flags->from, flags->to, flags->chunk_rows, flags->set_database); }};
}

}  // namespace tuidang::cli
