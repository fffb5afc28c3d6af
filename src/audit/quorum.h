// The witnesses' quorum for auditors (`tuidang audit`, `tuidang verify-proof`): a C2SP
// tlog-policy from a file, or Ed25519 cosignature/v1 keys with a number, and the check that a
// signed checkpoint carries the quorum (tlog/policy.h). Pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/note.h"
#include "tlog/policy.h"

namespace tuidang::audit {

// --policy FILE, or --witness VKEY (repeated) with --quorum N (default: all of them). nullopt
// when neither is given. Fails on an unreadable or invalid file, a bad key, both forms at
// once, --quorum without --witness, or N outside 1..the number of keys.
Result<std::optional<tlog::Policy>> LoadQuorumPolicy(const std::string& policy_file,
                                                     const std::vector<std::string>& witness_keys,
                                                     std::optional<int> quorum);

// The log's key: `vkey` when given, else the policy's log of name `origin` (or its only one).
Result<tlog::NoteVerifier> LogKeyFor(const std::string& vkey,
                                     const std::optional<tlog::Policy>& policy,
                                     const std::string& origin);

// Checks `signed_checkpoint`'s cosignatures against `policy`. Returns who cosigned (and that
// the quorum is met), or an error "the checkpoint of size N at WHERE lacks the witnesses'
// quorum: cosigned by A; not by B, C".
Result<tlog::QuorumCheck> RequireQuorum(std::string_view signed_checkpoint,
                                        const tlog::Policy& policy, std::string_view where);

}  // namespace tuidang::audit
