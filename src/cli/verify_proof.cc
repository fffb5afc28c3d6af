// tuidang verify-proof: checks a receipt's C2SP tlog-proof offline, without the site.
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "audit/quorum.h"
#include "cli/commands.h"
#include "core/leaf.h"
#include "tlog/proof.h"

namespace tuidang::cli {

namespace {

struct VerifyFlags {
  std::string file;
  std::string vkey;
  std::string origin;
  std::string policy;
  std::vector<std::string> witnesses;
  std::optional<int> quorum;
};

int VerifyProof(const VerifyFlags& flags) {
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "verify-proof: cannot read {}\n", flags.file);
    return 66;  // EX_NOINPUT
  }
  std::stringstream text;
  text << in.rdbuf();
  auto policy = audit::LoadQuorumPolicy(flags.policy, flags.witnesses, flags.quorum);
  if (!policy) {
    fmt::print(stderr, "verify-proof: {}\n", policy.error());
    return 64;
  }
  auto key = audit::LogKeyFor(flags.vkey, *policy, flags.origin);
  if (!key) {
    fmt::print(stderr, "verify-proof: {}\n", key.error());
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
  std::string witnessed;
  if (*policy) {
    auto quorum = audit::RequireQuorum(proof->checkpoint, **policy, flags.file);
    if (!quorum) {
      fmt::print(stderr, "verify-proof: NOT VERIFIED: {}\n", quorum.error());
      return 1;
    }
    witnessed = "; " + quorum->Describe() + " (quorum met)";
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
        "(party {}, league {}, pioneers {}){}\n",
        proof->index, origin, checkpoint->size, FormatDay(s.day), s.persons, s.party, s.league,
        s.pioneers, witnessed);
  } else {
    fmt::print("verified: leaf {} of {} (tree size {}): the withdrawal of leaf {} on {}{}\n",
               proof->index, origin, checkpoint->size, leaf->withdrawal->cancelled,
               FormatDay(leaf->withdrawal->day), witnessed);
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
  cmd->add_option("--vkey", flags->vkey,
                  "The log's verifier key (name+hash+base64; optional with a --policy that "
                  "lists the log)");
  cmd->add_option("--policy", flags->policy,
                  "A C2SP tlog-policy file: refuse a checkpoint without its witnesses' quorum");
  cmd->add_option("--witness", flags->witnesses,
                  "A witness's cosignature verifier key (repeat for each witness)");
  cmd->add_option("--quorum", flags->quorum,
                  "How many of the --witness keys must have cosigned (default: all)");
  cmd->add_option("--origin", flags->origin, "The log's origin (default: the key's name)");
  return {cmd, [flags] { return VerifyProof(*flags); }};
}

}  // namespace tuidang::cli
