// C2SP tlog-policy (https://c2sp.org/tlog-policy): which logs and witnesses are trusted, and
// which subsets of witnesses must cosign a checkpoint (the quorum):
//
//   log <vkey> [<url>]
//   witness <name> <vkey> [<url>]
//   group <name> all|any|<k> <name>...
//   quorum <name>|none
//
// Lines are separated by newlines, items by spaces and tabs; blank lines and '#' comments
// are ignored; a group or the quorum names only witnesses and groups defined above it; names
// are opaque bytes. Log keys are Ed25519 note keys (type 0x01), witness keys Ed25519
// cosignature/v1 keys (type 0x04): the types this project verifies.
//
// All functions and const methods are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"

namespace tuidang::tlog {

// The spec recommends supporting at least 32 of each; more bounds nothing useful.
inline constexpr size_t kMaxPolicyLogs = 64;
inline constexpr size_t kMaxPolicyWitnesses = 64;
inline constexpr size_t kMaxPolicyGroups = 64;
inline constexpr size_t kMaxPolicySize = 64 << 10;

struct PolicyLog {
  NoteVerifier key;
  std::string url;  // empty when not given
};

struct PolicyWitness {
  std::string name;  // its name in the policy, not its key's name
  CosignatureVerifier key;
  std::string url;  // the submission prefix; empty when not given
};

// Which of a policy's witnesses cosigned one checkpoint.
struct QuorumCheck {
  bool met = false;
  std::vector<std::string> signed_by;  // policy names, in the policy's order
  std::vector<std::string> missing;    // policy names of the witnesses that did not cosign
  std::vector<uint64_t> timestamps;    // of signed_by's cosignatures, in the same order
  std::string Describe() const;        // "cosigned by w1, w2; not by w3", for messages
};

class Policy {
 public:
  // Parses a whole policy file. Fails, naming the line, on any departure from the syntax
  // above, a key of the wrong type, a duplicate key (the same public key twice), a name
  // defined twice or not defined above its use, a member listed twice in a group, a
  // threshold outside 1..n, no quorum line or more than one.
  static Result<Policy> Parse(std::string_view text);
  // "k of these witnesses" (named w1, w2, ... in the order given), for --witness/--quorum.
  // Fails on a duplicate key, or k outside 1..n (0 with no witnesses means "quorum none").
  static Result<Policy> Threshold(std::vector<CosignatureVerifier> witnesses, size_t k);

  const std::vector<PolicyLog>& logs() const { return logs_; }
  const std::vector<PolicyWitness>& witnesses() const { return witnesses_; }
  bool quorum_none() const { return quorum_ < 0; }

  // Checks the cosignatures of `note` (as ParseNote or OpenNote leave it) by the policy's
  // witnesses against its text, and whether they meet the quorum. A witness's line that
  // does not verify counts as missing. The log's signature is not checked here.
  QuorumCheck Check(const Note& note) const;
  // Whether cosignatures by the witnesses named in `signed_by` meet the quorum.
  bool Met(const std::set<std::string>& signed_by) const;

  // The policy as a tlog-policy file (canonical: logs, witnesses, groups, quorum).
  std::string Format() const;

 private:
  struct Group {
    std::string name;
    size_t k = 0;
    std::vector<int> members;  // node indices: witnesses first, then groups
  };
  bool NodeMet(int node, const std::vector<bool>& witnessed) const;
  std::string NodeName(int node) const;

  std::vector<PolicyLog> logs_;
  std::vector<PolicyWitness> witnesses_;
  std::vector<Group> groups_;
  int quorum_ = -1;  // a node index, or -1 for "none"
};

}  // namespace tuidang::tlog
