// tuidang private: read sealed private fields offline with the office secret key; and
// tuidang held: the held statements grouped by flood, rejected a group at a time (the
// moderation console of issue 4 will offer the same over the web).
#include <sys/stat.h>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/office_key.h"
#include "intake/sequencer.h"
#include "safety/seal.h"

namespace tuidang::cli {

namespace {

Result<std::unique_ptr<Store>> OpenDataStore(const std::string& data, const std::string& database) {
  ::umask(077);
  if (sodium_init() < 0) return Error{"libsodium failed to initialise"};
  DataDir dir{data};
  auto config = PrepareDataDir(dir);
  if (!config) return Error{config.error()};
  auto store = OpenStore(dir.Location(*config, database));
  if (!store) return Error{store.error()};
  return std::move(*store);
}

}  // namespace

Subcommand AddPrivate(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    std::string database;
    std::string key;
    int64_t id = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "private", "Sealed private fields (contact details), readable only with the office key.");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "Statements that carry sealed fields (ids only).");
  list->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(list, &flags->database);
  CLI::App* show = cmd->add_subcommand(
      "show", "Open the sealed fields of statement ID with the office secret key (offline).");
  show->add_option("id", flags->id, "The statement's id (from tuidang private list)")->required();
  show->add_option("--key", flags->key, "The office secret key file")->required();
  show->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(show, &flags->database);
  return {cmd, [flags, list, show] {
            auto store = OpenDataStore(flags->data, flags->database);
            if (!store) {
              spdlog::error("{}", store.error());
              return 1;
            }
            if (list->parsed()) {
              auto ids = (*store)->ListSealed(1000);
              if (!ids) {
                spdlog::error("{}", ids.error());
                return 1;
              }
              for (const auto& [id, status] : *ids) fmt::print("{}\t{}\n", id, StatusCode(status));
              return 0;
            }
            auto key = ReadOfficeSecretKey(flags->key);
            if (!key) {
              spdlog::error("{}", key.error());
              return 1;
            }
            auto fields = (*store)->ReadSealed(flags->id);
            if (!fields) {
              spdlog::error("{}", fields.error());
              return 1;
            }
            if (fields->empty()) {
              spdlog::error("statement {} has no sealed fields", flags->id);
              return 1;
            }
            int status = 0;
            for (const auto& [field, box] : *fields) {
              auto plain = key->Open(box);
              if (!plain) {
                spdlog::error("{}: {}", field, plain.error());
                status = 1;
                continue;
              }
              fmt::print("{}: {}\n", field, *plain);
            }
            return status;
          }};
}

Subcommand AddHeld(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    std::string database;
    std::string group;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "held", "Held statements grouped by flood signature; reject a whole group at once.");
  cmd->require_subcommand(1);
  CLI::App* groups = cmd->add_subcommand("groups", "List the groups: size, reason, days.");
  groups->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(groups, &flags->database);
  CLI::App* reject = cmd->add_subcommand(
      "reject", "Reject every statement still held in GROUP (names, text, sealed fields go).");
  reject->add_option("group", flags->group, "The group, as listed")->required();
  reject->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(reject, &flags->database);
  return {cmd, [flags, groups] {
            auto store = OpenDataStore(flags->data, flags->database);
            if (!store) {
              spdlog::error("{}", store.error());
              return 1;
            }
            if (groups->parsed()) {
              auto list = (*store)->ListHeldGroups();
              if (!list) {
                spdlog::error("{}", list.error());
                return 1;
              }
              for (const auto& g : *list) {
                fmt::print("{}\t{}\t{}\t{}..{}\n", g.statements, g.reason, g.group,
                           FormatDay(g.first_day), FormatDay(g.last_day));
              }
              return 0;
            }
            // Through a writer of this process's own, as every write (SQLite serialises it
            // with a running server's).
            Store* s = store->get();
            Sequencer writer({s, s, s}, /*queue_limit=*/1, /*max_batch=*/1);
            auto n = AwaitWrite<Result<int64_t>>(
                [&](auto then) { return writer.RejectHeldGroup(flags->group, std::move(then)); },
                Error{"the writer is stopping"});
            if (!n) {
              spdlog::error("{}", n.error());
              return 1;
            }
            fmt::print("{} statements rejected\n", *n);
            return 0;
          }};
}

}  // namespace tuidang::cli
