// Limits on everything done with a receipt code (look-up, proof, correction, withdrawal;
// pages and API), so that guessing codes is hopeless at the center's size
// (docs/threat-model.md has the calculation). Per client where clients are told apart, per
// code, and over all clients (so onion and other unidentified clients are limited too).
// Failed look-ups (unknown codes) have budgets of their own: a guesser spends those, and
// holders of real codes keep working. In memory only (keyed hashes, safety/client_key.h).
//
// Every use is admitted before the code is looked up (Admit) and settled afterwards with
// what the look-up found (ReceiptUse::Found; a use never settled counts as failed):
//
//   1. per client: every use (`per_client`), then 429; a client that has spent its failed
//      budget (`failed_per_client`) is refused every use until its window ends;
//   2. per code: every use (`per_code`), whoever asks (a code watched);
//   3. an old-form code (16 digits) reserves one of `failed_old` (over all clients) before
//      it is looked up; the reservation is given back if the code exists. So at most
//      `failed_old` unknown old codes a window are ever looked up, whatever the number of
//      clients: the bound for old codes;
//   4. a new-form code from an unidentified client is refused while `failed` (unknown new
//      codes over all clients) is spent: such guessers cannot eat the budget of step 5;
//   5. every use over all clients (`uses`): the bound for new codes.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/mutex.h"
#include "safety/client_key.h"
#include "safety/rate_limiter.h"

namespace tuidang::safety {

struct ReceiptLimits {
  Limit per_client{0, 3600};         // every use of a code by one client
  Limit failed_per_client{0, 3600};  // unknown codes from one client
  Limit per_code{0, 3600};           // uses of one code, by anyone
  Limit uses{0, 60};                 // every use, over all clients
  Limit failed{0, 60};               // unknown new-form codes, over all clients
  Limit failed_old{0, 3600};         // unknown old-form codes, over all clients (strict)
};

// A fixed-window count over all clients, with reservations that can be given back.
// Thread-safe.
class GlobalBudget {
 public:
  GlobalBudget(Limit limit, Clock clock) : limit_(limit), clock_(std::move(clock)) {}
  // Takes one; returns 0, or the seconds until the window ends when none is left. Sets
  // *window to the window it was taken in (for GiveBack).
  int64_t Take(int64_t* window = nullptr);
  // Counts one even past the limit (a failure already happened).
  void Count();
  // Returns one taken in `window`; nothing if that window has ended.
  void GiveBack(int64_t window);
  // Seconds until the window ends if nothing is left, else 0.
  int64_t Spent();

 private:
  void Roll(int64_t now) REQUIRES(mu_);
  Limit limit_;
  Clock clock_;
  Mutex mu_;
  int64_t start_ GUARDED_BY(mu_) = 0;
  int64_t count_ GUARDED_BY(mu_) = 0;
};

class ReceiptGuard;

// One admitted (or refused) use of a code. Move-only; settles on destruction.
class ReceiptUse {
 public:
  ReceiptUse() = default;  // allowed, limits nothing (no guard configured)
  ReceiptUse(ReceiptUse&& other) noexcept;
  ReceiptUse& operator=(ReceiptUse&&) = delete;
  ReceiptUse(const ReceiptUse&) = delete;
  ~ReceiptUse();

  bool allowed() const { return retry_after_ == 0; }
  int64_t retry_after() const { return retry_after_; }  // seconds, when refused
  // The code exists: nothing counts as failed.
  void Found() { settled_ = true; }
  // The code was not looked up after all (the request was refused for another reason).
  void NotLookedUp() { settled_ = true; }

 private:
  friend class ReceiptGuard;
  ReceiptGuard* guard_ = nullptr;
  std::optional<ClientKey> client_;
  bool old_form_ = false;
  bool reserved_old_ = false;
  int64_t old_window_ = 0;
  int64_t retry_after_ = 0;
  bool settled_ = false;
};

class ReceiptGuard {
 public:
  ReceiptGuard(ReceiptLimits limits, KeyedHasher* hasher, Clock clock = SystemClock());

  // Admits one use of `code`: the digits from ParseReceiptCode, or the text as sent when it
  // is not a code (it can only fail). `client` is nullopt when clients are not told apart.
  // `hasher` must outlive this guard.
  ReceiptUse Admit(const std::optional<ClientKey>& client, std::string_view code);

  const ReceiptLimits& limits() const { return limits_; }

 private:
  friend class ReceiptUse;
  void Failed(const ReceiptUse& use);
  void Release(const ReceiptUse& use);

  ReceiptLimits limits_;
  KeyedHasher* hasher_;
  RateLimiter per_client_, failed_per_client_, per_code_;
  GlobalBudget uses_, failed_, failed_old_;
};

}  // namespace tuidang::safety
