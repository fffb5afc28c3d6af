// tuidang verify-proof: checks a receipt's C2SP tlog-proof offline, without the site.
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/leaf.h"
#include "tlog/proof.h"

namespace tuidang::cli {

namespace {

struct VerifyFlags {
  std::string file;
  std::string vkey;
  std::string origin;
};

int VerifyProof(const VerifyFlags& flags) {
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "verify-proof: cannot read {}\n", flags.file);
    return 66;  // EX_NOINPUT
  }
  std::stringstream text;
  text << in.rdbuf();
  auto key = tlog::NoteVerifier::Parse(flags.vkey);
  if (!key) {
    fmt::print(stderr, "verify-proof: bad --vkey: {}\n", key.error());
    return 64;
  }
  auto proof = tlog::ParseTlogProof(text.str());
  if (!proof) {
    fmt::print(stderr, "verify-proof: {}: {}\n", flags.file, proof.error());
    return 1;
  }
  if (!proof->extra) {
    fmt::print(stderr, "verify-proof: the proof carries no entry (extra line)\n");
    return 1;
  }
  std::string origin = flags.origin.empty() ? key->name() : flags.origin;
  auto checkpoint = tlog::VerifyTlogProof(*proof, tlog::LeafHash(*proof->extra), origin,
                                          std::array{std::move(*key)});
  if (!checkpoint) {
    fmt::print(stderr, "verify-proof: NOT VERIFIED: {}\n", checkpoint.error());
    return 1;
  }
  auto leaf = DecodeLeaf(*proof->extra);
  if (!leaf) {
    fmt::print(stderr, "verify-proof: the entry is not a tuidang leaf: {}\n", leaf.error());
    return 1;
  }
  if (leaf->statement) {
    const StatementLeaf& s = *leaf->statement;
    fmt::print(
        "verified: leaf {} of {} (tree size {}): a statement of {} for {} person(s) "
        "(party {}, league {}, pioneers {})\n",
        proof->index, origin, checkpoint->size, FormatDay(s.day), s.persons, s.party, s.league,
        s.pioneers);
  } else {
    fmt::print("verified: leaf {} of {} (tree size {}): the withdrawal of leaf {} on {}\n",
               proof->index, origin, checkpoint->size, leaf->withdrawal->cancelled,
               FormatDay(leaf->withdrawal->day));
  }
  return 0;
}

}  // namespace

Subcommand AddVerifyProof(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "verify-proof",
      "Verify a receipt's proof (the .tlog-proof file from the receipt page) offline: the "
      "checkpoint's signature and the statement's inclusion in it.");
  cmd->add_option("file", flags->file, "The tlog-proof file")->required();
  cmd->add_option("--vkey", flags->vkey, "The log's verifier key (name+hash+base64)")->required();
  cmd->add_option("--origin", flags->origin, "The log's origin (default: the key's name)");
  return {cmd, [flags] { return VerifyProof(*flags); }};
}

}  // namespace tuidang::cli
