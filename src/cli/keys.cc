// tuidang keys office: the center's key pair for sealed private fields; and the safety
// set-up of `serve` (safety_setup.h).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/safety_setup.h"
#include "safety/seal.h"

namespace tuidang::cli {

Status CheckKeyFilePermissions(const DataDir& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir.path, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    bool key = entry.path().extension() == ".key" || entry.path().extension() == ".secret";
    if (!key && entry.file_size(ec) < 4096) {
      std::ifstream in(path);
      std::string head(64, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      key = head.find("tuidang-office-secret") != std::string::npos;
    }
    if (!key) continue;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
      return Status::Fail(path + " is a key file readable by others: run chmod 600 " + path);
    }
  }
  return Status::Ok();
}

Result<SafetySetup> PrepareSafety(const Config& c, const DataDir& dir) {
  if (Status s = CheckKeyFilePermissions(dir); !s) return Error{s.message()};
  safety::GuardOptions o;
  // Per-hour limits as fixed windows of an hour; the global one per minute.
  o.submit_per_client = {c.submissions_per_client_per_hour, 3600};
  o.receipts.per_client = {c.receipt_lookups_per_client_per_hour, 3600};
  o.receipts.failed_per_client = {c.failed_receipt_lookups_per_client_per_hour, 3600};
  o.receipts.per_code = {c.lookups_per_receipt_per_hour, 3600};
  o.receipts.uses = {c.receipt_lookups_per_minute, 60};
  o.receipts.failed = {c.failed_receipt_lookups_per_minute, 60};
  o.receipts.failed_old = {c.failed_old_receipt_lookups_per_hour, 3600};
  o.global_submit = {c.submissions_per_minute, 60};
  o.operator_actions = {c.operator_actions_per_minute, 60};
  o.pow_hold = c.pow_policy == "hold";
  o.pow_min_bits = static_cast<int>(c.pow_min_bits);
  o.pow_max_bits = static_cast<int>(c.pow_max_bits);
  o.pow_load_step = c.pow_load_step;
  o.flood_hold = c.flood_policy == "hold";
  o.flood = {c.flood_text_repeats, c.flood_name_repeats, c.flood_burst};
  if (!c.office_public_key.empty()) {
    auto key = safety::ParseOfficePublicKey(c.office_public_key);
    if (!key) return Error{"office_public_key in tuidang.toml: " + key.error()};
    o.office_key = *key;
  }
  std::vector<safety::Network> proxies;
  for (const auto& p : c.trusted_proxies) {
    auto n = safety::ParseNetwork(p);
    if (!n)
      return Error{"trusted_proxies in tuidang.toml: '" + p + "' is not an address or network"};
    proxies.push_back(*n);
  }
  auto mode = safety::ParseClientKeyMode(c.client_key);
  if (!mode) return Error{"client_key in tuidang.toml: unknown mode '" + c.client_key + "'"};
  if (*mode == safety::ClientKeyMode::kProxy && proxies.empty()) {
    return Error{"client_key = \"proxy\" needs trusted_proxies in tuidang.toml"};
  }
  SafetySetup s;
  s.guard = std::make_unique<safety::Guard>(std::move(o));
  s.identify = std::make_unique<safety::ClientIdentifier>(*mode, std::move(proxies),
                                                          c.client_header, s.guard->hasher());
  return s;
}

Subcommand AddKeys(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("keys", "Keys of the center.");
  cmd->require_subcommand(1);
  CLI::App* office = cmd->add_subcommand(
      "office",
      "Make the office key pair for sealed private fields. Writes the secret key to FILE "
      "(mode 0600; keep it offline, never on the server) and prints the public key line for "
      "tuidang.toml.");
  office->add_option("--out", *out, "Where to write the secret key")->required();
  return {cmd, [out] {
            ::umask(077);
            if (sodium_init() < 0) return 1;
            if (std::filesystem::exists(*out)) {
              spdlog::error("{} exists: not overwriting a key", *out);
              return 1;
            }
            auto key = safety::OfficeSecretKey::Generate();
            if (!key) {
              spdlog::error("{}", key.error());
              return 1;
            }
            {
              std::ofstream f(*out, std::ios::trunc);
              f << key->Text() << "\n";
              if (!f) {
                spdlog::error("cannot write {}", *out);
                return 1;
              }
            }
            std::filesystem::permissions(
                *out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
            std::ofstream pub(*out + ".pub", std::ios::trunc);
            pub << key->Public().Text() << "\n";
            fmt::print(
                "secret key written to {} (keep it offline)\n"
                "put this line in tuidang.toml:\noffice_public_key = \"{}\"\n",
                *out, key->Public().Text());
            return 0;
          }};
}

}  // namespace tuidang::cli
