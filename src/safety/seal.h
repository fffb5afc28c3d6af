// Sealed private fields: contact details a declarant leaves for follow-up (and, with the
// volunteers' channels, e-mail senders, scans, operator notes) are encrypted with libsodium's
// crypto_box_seal to the center's "office" public key before they are stored. The server
// holds only the public key; the secret key stays offline (tuidang private show --key) or,
// with the console, in an admin's session memory only (SessionKeyring).
//
// Key texts: "tuidang-office-public-v1:<base64 32 bytes>" (in tuidang.toml) and
// "tuidang-office-secret-v1:<base64 32-byte secret key>" (a file kept offline).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "core/result.h"

namespace tuidang::safety {

struct OfficePublicKey {
  std::array<uint8_t, 32> bytes{};
  std::string Text() const;
};

// Holds the secret key in sodium_malloc'd memory (locked, guarded, wiped on destruction).
class OfficeSecretKey {
 public:
  static Result<OfficeSecretKey> Generate();
  static Result<OfficeSecretKey> Parse(std::string_view text);
  OfficeSecretKey(OfficeSecretKey&& o) noexcept;
  OfficeSecretKey& operator=(OfficeSecretKey&&) = delete;
  ~OfficeSecretKey();

  std::string Text() const;
  const OfficePublicKey& Public() const { return pk_; }
  // Opens a box sealed to Public(); an error when it was sealed to another key or damaged.
  Result<std::string> Open(std::string_view box) const;

 private:
  OfficeSecretKey() = default;
  uint8_t* sk_ = nullptr;  // 32 bytes, sodium_malloc
  OfficePublicKey pk_;
};

Result<OfficePublicKey> ParseOfficePublicKey(std::string_view text);
// The sealed box of `plaintext` (48 bytes longer). REQUIRES: sodium_init() was called.
std::string Seal(const OfficePublicKey& key, std::string_view plaintext);

// The secret keys admins unlocked in their console sessions: held in memory only, forgotten
// on Lock (logout) or after `idle` without use. For the console (issue 4). Thread-safe.
class SessionKeyring {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SessionKeyring(std::chrono::seconds idle) : idle_(idle) {}
  // Unlocks for `session` with the secret key text; fails if it is not the office key
  // whose public half is `expected`.
  Status Unlock(const std::string& session, std::string_view secret_text,
                const OfficePublicKey& expected);
  // Opens `box` for `session`; an error if the session has no unlocked key (any more).
  Result<std::string> Open(const std::string& session, std::string_view box);
  void Lock(const std::string& session);
  bool Unlocked(const std::string& session);
  // For tests: pretend `by` has passed.
  void AdvanceForTest(std::chrono::seconds by) { skew_ += by; }

 private:
  struct Entry {
    std::unique_ptr<OfficeSecretKey> key;
    Clock::time_point last_use;
  };
  Entry* Find(const std::string& session) REQUIRES(mu_);
  std::chrono::seconds idle_;
  std::chrono::seconds skew_{0};
  Mutex mu_;
  std::unordered_map<std::string, Entry> sessions_ GUARDED_BY(mu_);
};

// Compares secrets (console tokens, TOTP codes) in constant time for equal lengths.
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace tuidang::safety
