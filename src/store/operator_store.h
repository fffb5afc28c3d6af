// Operators (volunteers, moderators, admins) and the audit trail of their actions. A role
// of Store (store.h).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/day.h"
#include "core/result.h"

namespace tuidang {

enum class Role : uint8_t { kVolunteer = 1, kModerator = 2, kAdmin = 3 };
std::string_view RoleCode(Role r);  // "volunteer", "moderator", "admin"
std::optional<Role> ParseRole(std::string_view code);

struct Operator {
  int64_t id = 0;
  std::string name;
  Role role = Role::kVolunteer;
  std::string password_hash;  // libsodium crypto_pwhash_str (Argon2id); empty until set up
  std::string totp_secret;    // 20 random bytes; empty until enrolled
  std::string setup_hash;     // BLAKE2b of the one-time set-up token; empty once used
  bool disabled = false;
  // Failed logins are counted in memory only (web/ops_auth.h), never here: nothing finer
  // than a day is stored, and an update is not a read-modify-write of a counter.
};

// One line of the audit trail. `minute` is unix time / 60: operators' actions are dated to
// the minute, never finer.
struct AuditEntry {
  Day day = 0;  // no finer time is kept (DESIGN.md, privacy)
  int64_t operator_id = 0;
  std::string operator_name;
  std::string action;  // "entered", "approved", "rejected", "withdrew", "imported", ...
  std::string object;  // "statement 1043", "operator alice", ...
};

// The audit-trail entries that a write adds in its own transaction, so that an operator's
// action and its entry are stored together or not at all (an action whose entry cannot be
// written does not happen). Called once, inside the transaction just before it commits,
// with what the write did, so that an entry can name the numbers it gave. The store dates
// the entries itself (AuditEntry::day and operator_name are ignored). When they cannot be
// written the write is rolled back and fails. Empty: the write adds no entry.
template <typename Outcome>
using AuditFor = std::function<std::vector<AuditEntry>(const Outcome& outcome)>;

class OperatorStore {
 public:
  virtual ~OperatorStore() = default;
  // Fails if the name is taken.
  virtual Result<int64_t> AddOperator(const Operator& op) = 0;
  virtual Result<std::optional<Operator>> FindOperator(const std::string& name) = 0;
  virtual Result<std::optional<Operator>> GetOperator(int64_t id) = 0;
  virtual Result<std::vector<Operator>> ListOperators() = 0;
  // Writes every field of `op` (found by id).
  virtual Status UpdateOperator(const Operator& op) = 0;
  // Like AddOperator and UpdateOperator, with `audit` appended to the audit trail in the
  // same transaction: when it cannot be written, nothing is changed and an error returned.
  virtual Result<int64_t> AddOperatorAudited(const Operator& op, const AuditEntry& audit) = 0;
  virtual Status UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) = 0;
  // Appends to the audit trail (there is no way to change or delete an entry). For actions
  // that write nothing else (a login, a look at sealed fields): the caller writes the entry
  // first and acts only when it was written.
  virtual Status Audit(int64_t operator_id, std::string_view action, std::string_view object) = 0;
  // The newest `limit` entries, newest first.
  virtual Result<std::vector<AuditEntry>> AuditTrail(int limit) = 0;
};

}  // namespace tuidang
