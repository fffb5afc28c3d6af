// tuidang verify-mirror: checks a copy of an export against its signed manifest, without
// trusting the mirror: only the log's verifier key is needed.
#include <fmt/format.h>
#include <sodium.h>

#include "cli/commands.h"
#include "export/exporter.h"

namespace tuidang::cli {

Subcommand AddVerifyMirror(CLI::App& app) {
  struct Flags {
    std::string dir;
    std::string vkey;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "verify-mirror",
      "Check a mirror folder made by `tuidang export`: the manifest's signature with the log's "
      "key, and every file's SHA-256; lists missing, changed and unlisted files. Exits 0 when "
      "the copy is faithful, 1 otherwise. (`tuidang audit DIR` checks the log itself.)");
  cmd->add_option("dir", flags->dir, "The mirror folder")->required();
  cmd->add_option("--vkey", flags->vkey, "The log's verifier key (`tuidang log key`)")->required();
  return {cmd, [flags] {
            if (sodium_init() < 0) return 1;
            auto key = tlog::NoteVerifier::Parse(flags->vkey);
            if (!key) {
              fmt::print(stderr, "verify-mirror failed: bad --vkey: {}\n", key.error());
              return 64;
            }
            auto files = exporter::VerifyMirror(flags->dir, *key);
            if (!files) {
              fmt::print(stderr, "verify-mirror failed: {}\n", files.error());
              return 1;
            }
            fmt::print("mirror ok: {} files match the manifest signed by {}\n", *files,
                       key->name());
            return 0;
          }};
}

}  // namespace tuidang::cli
