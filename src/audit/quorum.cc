#include "audit/quorum.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"

namespace tuidang::audit {

Result<std::optional<tlog::Policy>> LoadQuorumPolicy(const std::string& policy_file,
                                                     const std::vector<std::string>& witness_keys,
                                                     std::optional<int> quorum) {
  if (!policy_file.empty()) {
    if (!witness_keys.empty() || quorum) {
      return Error{"give either --policy or --witness/--quorum, not both"};
    }
    std::ifstream in(policy_file, std::ios::binary);
    if (!in) return Error{fmt::format("cannot read the policy file {}", policy_file)};
    std::stringstream text;
    text << in.rdbuf();
    auto policy = tlog::Policy::Parse(text.str());
    if (!policy) return Error{fmt::format("{}: {}", policy_file, policy.error())};
    return std::optional<tlog::Policy>(std::move(*policy));
  }
  if (witness_keys.empty()) {
    if (quorum) return Error{"--quorum needs the witnesses' keys (--witness VKEY, repeated)"};
    return std::optional<tlog::Policy>();
  }
  std::vector<tlog::CosignatureVerifier> keys;
  for (const std::string& k : witness_keys) {
    auto key = tlog::CosignatureVerifier::Parse(k);
    if (!key) return Error{fmt::format("bad --witness {:?}: {}", k, key.error())};
    keys.push_back(std::move(*key));
  }
  const size_t n = keys.size();
  const size_t k = quorum ? static_cast<size_t>(std::max(0, *quorum)) : n;
  auto policy = tlog::Policy::Threshold(std::move(keys), k);
  if (!policy) return Error{"--quorum: " + policy.error()};
  return std::optional<tlog::Policy>(std::move(*policy));
}

Result<tlog::NoteVerifier> LogKeyFor(const std::string& vkey,
                                     const std::optional<tlog::Policy>& policy,
                                     const std::string& origin) {
  if (!vkey.empty()) {
    auto key = tlog::NoteVerifier::Parse(vkey);
    if (!key) return Error{fmt::format("bad --vkey {:?}: {}", vkey, key.error())};
    return key;
  }
  if (policy) {
    const auto& logs = policy->logs();
    for (const auto& l : logs) {
      if (l.key.name() == origin) return l.key;
    }
    if (logs.size() == 1 && origin.empty()) return logs[0].key;
  }
  return Error{"give the log's verifier key (--vkey), or a --policy file with its log line"};
}

Result<tlog::QuorumCheck> RequireQuorum(std::string_view signed_checkpoint,
                                        const tlog::Policy& policy, std::string_view where) {
  auto note = tlog::ParseNote(signed_checkpoint);
  if (!note)
    return Error{fmt::format("the checkpoint at {} is malformed: {}", where, note.error())};
  auto checkpoint = tlog::ParseCheckpoint(note->text);
  const uint64_t size = checkpoint ? checkpoint->size : 0;
  tlog::QuorumCheck check = policy.Check(*note);
  if (!check.met) {
    return Error{fmt::format("the checkpoint of size {} at {} lacks the witnesses' quorum: {}",
                             size, where, check.Describe())};
  }
  return check;
}

}  // namespace tuidang::audit
