// Proof of work for the declaration form: the server hands out a challenge, the browser's
// small first-party script (static/pow.js) finds a nonce such that
//   SHA-256(challenge || ":" || nonce)
// starts with `bits` zero bits, and the form sends both back. Challenges are stateless and
// authenticated (a BLAKE2b MAC under a random key held in memory only), carry their own
// difficulty and issue time, expire, and are accepted once.
//
// Challenge text: "1.<minute issued>.<bits>.<16 hex random>.<32 hex MAC>".
//
// The same issuer hands out the no-script form token (docs/preview.md): the preview page
// of the declaration form carries one, "2.<second it becomes valid>.0.<16 hex random>.<32
// hex MAC>", redeemed with any nonce, valid only from that second on (a human reads the
// preview meanwhile), once, for kLifetimeSeconds. It costs a sender what a challenge does:
// one request under the submit limits per statement, and it cannot be made offline.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "safety/client_key.h"

namespace tuidang::safety {

enum class PowCheck { kValid, kMissing, kMalformed, kExpired, kWrongNonce, kReplayed, kEarly };
std::string_view PowCheckName(PowCheck c);

// True when SHA-256(challenge ":" nonce) has at least `bits` leading zero bits.
bool PowSolves(std::string_view challenge, std::string_view nonce, int bits);
// Finds a nonce (decimal) by brute force; for tests and tools.
std::string SolvePow(std::string_view challenge, int bits);

// Thread-safe.
class PowIssuer {
 public:
  // A challenge stays good this long: a declarant on a slow proxy may take a while.
  static constexpr int64_t kLifetimeSeconds = 2 * 3600;
  // Spent challenges remembered at most (replay protection); beyond it new solutions are
  // refused as replays until old ones expire, which holds (never refuses) statements.
  static constexpr size_t kMaxSpent = 1'000'000;

  explicit PowIssuer(Clock clock);
  ~PowIssuer();

  std::string Issue(int bits);
  // A form token that becomes valid `delay_seconds` from now (see above).
  std::string IssueToken(int64_t delay_seconds);
  // The second from which `token` is valid, read without checking its MAC (Redeem checks
  // it); nullopt when the text is not shaped like a form token.
  static std::optional<int64_t> TokenValidFrom(std::string_view token);
  // Checks and, when valid, spends the challenge or form token (kEarly: a token redeemed
  // before its second, left unspent). `bits_out` gets the challenge's difficulty (0 for a
  // token).
  PowCheck Redeem(std::string_view challenge, std::string_view nonce, int* bits_out = nullptr);

 private:
  std::string Mac(std::string_view body) const;
  Clock clock_;
  std::array<uint8_t, 32> key_{};
  Mutex mu_;
  std::unordered_map<std::string, int64_t> spent_ GUARDED_BY(mu_);  // random part -> expiry
  int64_t next_sweep_ GUARDED_BY(mu_) = 0;
};

}  // namespace tuidang::safety
