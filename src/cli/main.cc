// tuidang: the software of a Service Center for Quitting the CCP.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // No time in log lines: a timestamp beside a submission would date a declarant to the
  // second (DESIGN.md, privacy). The journal or the operator's tools can add their own.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tuidang"));  // stdout is for results
  spdlog::set_pattern("tuidang[%P] %l: %v");
  CLI::App app{
      "tuidang: receive, publish and count statements of withdrawal from the Chinese "
      "Communist Party and its organisations, with a count anyone can verify."};
  app.set_version_flag("--version", std::string("tuidang ") + TUIDANG_VERSION);
  app.require_subcommand(1);
  std::vector<tuidang::cli::Subcommand> commands = {
      tuidang::cli::AddServe(app),        tuidang::cli::AddImport(app),
      tuidang::cli::AddMailIntake(app),   tuidang::cli::AddInit(app),
      tuidang::cli::AddLog(app),          tuidang::cli::AddWithdraw(app),
      tuidang::cli::AddAudit(app),        tuidang::cli::AddKeys(app),
      tuidang::cli::AddPrivate(app),      tuidang::cli::AddHeld(app),
      tuidang::cli::AddVerifyProof(app),  tuidang::cli::AddUser(app),
      tuidang::cli::AddExport(app),       tuidang::cli::AddVerifyMirror(app),
      tuidang::cli::AddPurge(app),        tuidang::cli::AddBackup(app),
      tuidang::cli::AddRestore(app),      tuidang::cli::AddWitness(app),
      tuidang::cli::AddMirror(app),       tuidang::cli::AddMigrate(app),
      tuidang::cli::AddMigrateStore(app),
  };
  // --version alone answers without a subcommand (help2man asks it for the man page).
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("tuidang %s\n", TUIDANG_VERSION);
    return 0;
  }
  CLI11_PARSE(app, argc, argv);
  for (auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return 64;  // EX_USAGE; CLI11 already required a subcommand
}
