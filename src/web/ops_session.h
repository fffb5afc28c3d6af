// Operators' console sessions: random identifiers in a cookie (Secure, HttpOnly,
// SameSite=Strict), held in memory only, forgotten after an idle timeout or at logout,
// each with its own CSRF token. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/mutex.h"
#include "store/operator_store.h"

namespace tuidang::web {

struct OpsSession {
  int64_t operator_id = 0;
  std::string name;
  Role role = Role::kVolunteer;
  std::string csrf;  // must come back with every form
  // AccountFingerprint of the operator when the session began: the session ends when the
  // account changes (OpsAuth::CurrentSession).
  std::string account;
};

class SessionTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SessionTable(std::chrono::seconds idle_timeout) : idle_(idle_timeout) {}

  // A new session for `op`; returns its identifier (64 hex digits).
  std::string Create(const Operator& op);
  // The session of identifier `id` if it exists and was used within the idle timeout;
  // refreshes its last use.
  std::optional<OpsSession> Find(const std::string& id);
  void Remove(const std::string& id);

 private:
  struct Entry {
    OpsSession session;
    Clock::time_point last_used;
  };
  const std::chrono::seconds idle_;
  Mutex mu_;
  std::unordered_map<std::string, Entry> sessions_ GUARDED_BY(mu_);
};

// A BLAKE2b hash of what an operator logs in with and may do: role, password hash, TOTP
// secret. Another value means the account was reset or its role changed.
std::string AccountFingerprint(const Operator& op);
// A random token of `bytes` bytes as lowercase hex.
std::string RandomHex(size_t bytes);
// True when `a` equals `b`, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tuidang::web
