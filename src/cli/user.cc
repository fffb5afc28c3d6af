// tuidang user: operator accounts from the command line (the first admin, and recovery).
#include <sodium.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/totp.h"
#include "web/ops_session.h"

namespace tuidang::cli {

namespace {

struct UserFlags {
  std::string data = "./data";
  std::string name;
  std::string role = "volunteer";
  std::string database;
};

// A fresh TOTP secret and one-time set-up token for `op`; returns the token.
std::string NewCredentials(Operator* op) {
  op->totp_secret.assign(kTotpSecretBytes, '\0');
  randombytes_buf(op->totp_secret.data(), op->totp_secret.size());
  std::string token = web::RandomHex(32);
  op->setup_hash.assign(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(op->setup_hash.data()), op->setup_hash.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  op->password_hash.clear();
  return token;
}

int RunUser(const std::string& action, const UserFlags& f) {
  int code;
  auto opened = OpenDataDir(f.data, &code, f.database);
  if (!opened) return code;
  Store& db = *opened->store;
  std::string base = opened->config.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (action == "list") {
    auto all = db.ListOperators();
    if (!all) return 1;
    for (const auto& op : *all) {
      const char* state = op.disabled                ? "disabled"
                          : op.password_hash.empty() ? "waiting for set-up"
                                                     : "active";
      fmt::print("{}\t{}\t{}\n", op.name, RoleCode(op.role), state);
    }
    return 0;
  }
  if (f.name.empty()) {
    spdlog::error("a NAME is needed");
    return 64;
  }
  if (action == "add") {
    auto role = ParseRole(f.role);
    if (!role) {
      spdlog::error("unknown role '{}': use volunteer, moderator or admin", f.role);
      return 64;
    }
    Operator op;
    op.name = f.name;
    op.role = *role;
    std::string token = NewCredentials(&op);
    // The account and its audit entry in one transaction: both or neither.
    auto id = db.AddOperatorAudited(op, {0, 0, "", "added operator", f.name + " (" + f.role + ")"});
    if (!id) {
      spdlog::error("{}", id.error());
      return 1;
    }
    fmt::print(
        "operator {} ({}) added. One-time set-up link (give it "
        "privately):\n{}/ops/setup?token={}\n",
        f.name, f.role, base, token);
    return 0;
  }
  auto found = db.FindOperator(f.name);
  if (!found || !found->has_value()) {
    spdlog::error("no operator named '{}'", f.name);
    return 1;
  }
  Operator op = **found;
  if (action == "disable") {
    op.disabled = true;
    if (Status s = db.UpdateOperatorAudited(op, {0, 0, "", "disabled operator", f.name}); !s) {
      spdlog::error("{}", s.message());
      return 1;
    }
    fmt::print("operator {} disabled\n", f.name);
    return 0;
  }
  // reset: new password and second factor, through a new set-up link.
  std::string token = NewCredentials(&op);
  op.disabled = false;
  if (Status s = db.UpdateOperatorAudited(op, {0, 0, "", "reset operator", f.name}); !s) {
    spdlog::error("{}", s.message());
    return 1;
  }
  fmt::print("operator {} reset. One-time set-up link:\n{}/ops/setup?token={}\n", f.name, base,
             token);
  return 0;
}

}  // namespace

Subcommand AddUser(CLI::App& app) {
  auto flags = std::make_shared<UserFlags>();
  auto action = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("user", "Operator accounts: add, list, disable, reset.");
  cmd->require_subcommand(1);
  auto add = cmd->add_subcommand("add", "Add an operator; prints a one-time set-up link.");
  add->add_option("name", flags->name, "Operator name")->required();
  add->add_option("--role", flags->role, "volunteer, moderator or admin")->capture_default_str();
  auto list = cmd->add_subcommand("list", "List operators and their state.");
  auto disable = cmd->add_subcommand("disable", "Disable an operator (they can no longer log in).");
  disable->add_option("name", flags->name, "Operator name")->required();
  auto reset = cmd->add_subcommand(
      "reset", "New password and second factor for an operator, through a new set-up link.");
  reset->add_option("name", flags->name, "Operator name")->required();
  for (CLI::App* sub : {add, list, disable, reset}) {
    sub->add_option("--data", flags->data, "Data folder")->capture_default_str();
    AddDatabaseOption(sub, &flags->database);
    sub->callback([action, sub] { *action = sub->get_name(); });
  }
  return {cmd, [flags, action] { return RunUser(*action, *flags); }};
}

}  // namespace tuidang::cli
