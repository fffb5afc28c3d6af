// The subcommands. Each registers itself and its flags on the CLI11 app and returns the
// function that runs it; main.cc only dispatches.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace tuidang::cli {

struct Subcommand {
  CLI::App* app;
  std::function<int()> run;  // returns the process exit code
};

Subcommand AddServe(CLI::App& app);
Subcommand AddImport(CLI::App& app);      // import.cc
Subcommand AddMailIntake(CLI::App& app);  // mail_intake.cc
Subcommand AddInit(CLI::App& app);
Subcommand AddLog(CLI::App& app);
Subcommand AddWithdraw(CLI::App& app);
Subcommand AddAudit(CLI::App& app);
Subcommand AddKeys(CLI::App& app);     // keys.cc
Subcommand AddPrivate(CLI::App& app);  // private.cc
Subcommand AddHeld(CLI::App& app);     // private.cc
Subcommand AddVerifyProof(CLI::App& app);
Subcommand AddUser(CLI::App& app);
Subcommand AddExport(CLI::App& app);
Subcommand AddVerifyMirror(CLI::App& app);
Subcommand AddPurge(CLI::App& app);         // purge.cc
Subcommand AddBackup(CLI::App& app);        // backup.cc
Subcommand AddRestore(CLI::App& app);       // backup.cc
Subcommand AddWitness(CLI::App& app);       // witness.cc
Subcommand AddMirror(CLI::App& app);        // mirror.cc
Subcommand AddMigrate(CLI::App& app);       // migrate.cc
Subcommand AddMigrateStore(CLI::App& app);  // migrate_store.cc

}  // namespace tuidang::cli
