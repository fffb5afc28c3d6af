// The abuse gate in front of the intake (DESIGN.md: validate -> abuse gate -> queue): rate
// limits (per client key, per receipt code, per operator, global), proof of work and flood
// detection, all in memory. It decides whether a request is served (else 429 or 503 with
// Retry-After) and whether a valid statement is published or held for moderation; it never
// refuses a statement for lack of JavaScript. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "core/mutex.h"
#include "core/statement.h"
#include "safety/client_key.h"
#include "safety/flood.h"
#include "safety/pow.h"
#include "safety/rate_limiter.h"
#include "safety/receipt_guard.h"
#include "safety/seal.h"

namespace tuidang::safety {

struct GuardOptions {
  // Per client key (only when clients are told apart, client_key != "off").
  Limit submit_per_client{0, 600};  // statements
  // Everything done with a receipt code: per client, per code, over all clients.
  ReceiptLimits receipts;
  Limit operator_actions{0, 60};  // per operator account (console, issue 4)
  // Statements per window over all clients, split into the SubmitPools below: then 503.
  Limit global_submit{0, 60};
  // Proof of work: "off", or "hold" (a statement without a valid solution is held).
  bool pow_hold = false;
  int pow_min_bits = 16;
  int pow_max_bits = 22;
  // Statements per minute over all clients that add one bit of difficulty (doubling the
  // work): 0 = the difficulty never rises.
  int64_t pow_load_step = 60;
  // Flood detection: "off", or "hold" (suspicious statements are held).
  bool flood_hold = false;
  FloodOptions flood;
  std::optional<OfficePublicKey> office_key;  // private fields are accepted only with it
};

// The global budget (GuardOptions::global_submit) is split so that one flood cannot spend
// what the others need: clients told apart (each also under its own limit) and clients that
// are not (an onion service's: one flood there would otherwise be everyone's), and within
// each, statements the gate passes (proof of work paid, no flood pattern) and statements it
// holds (the cheap ones: a flood without proof of work fills only its own pool).
enum class SubmitPool {
  kIdentifiedPassed,
  kIdentifiedHeld,
  kUnidentifiedPassed,
  kUnidentifiedHeld,
};
// Each pool's percent of global_submit, in the order above (docs/deploy-safety.md). Passed
// statements get the larger shares: they cost the sender the proof of work. Held statements
// get less: they cost the sender nothing and each one costs a moderator, so their pools
// also bound how fast the moderation queue can grow. Clients told apart get a little more
// than onion clients, as each of them is also limited on its own.
inline constexpr std::array<int64_t, 4> kSubmitPoolPercent = {40, 10, 35, 15};

struct Admission {
  bool allowed = true;
  int status = 200;         // 429 (this client or code) or 503 (everyone) when refused
  int64_t retry_after = 0;  // seconds
};

struct Verdict {
  bool publish = true;  // false: hold for moderation
  std::string reason;   // why held: "no_pow", "generated_name", ...
  std::string group;    // the moderation queue's group
  PowCheck pow = PowCheck::kMissing;
  // Refused (503) when the statement's pool of the global budget is spent.
  Admission admission;
};

class Guard {
 public:
  Guard(GuardOptions options, Clock clock = SystemClock());

  // Before the body is read: the client's own limit (429), and 503 when both pools of its
  // kind (told apart or not) are spent. Takes nothing from the pools (Assess does).
  Admission AdmitSubmit(const std::optional<ClientKey>& client);
  Admission AdmitOperator(std::string_view operator_name);

  // The difficulty now, from the statements of the last minute.
  int CurrentBits();
  std::string IssueChallenge() { return pow_.Issue(CurrentBits()); }
  // Seconds before the no-script form token of a preview page is valid (pow.h): a person
  // reading their statement over takes longer; a sender cannot skip the wait.
  static constexpr int64_t kFormTokenDelaySeconds = 3;
  // The token for a preview page; redeemed in Assess like a solved challenge.
  std::string IssueFormToken() { return pow_.IssueToken(kFormTokenDelaySeconds); }
  // Decides for a valid statement; counts it for flood detection, and takes it from its
  // pool of the global budget (v.admission refuses it when that pool is spent).
  Verdict Assess(const Statement& s, std::string_view pow_challenge, std::string_view pow_nonce,
                 const std::optional<ClientKey>& client);

  const GuardOptions& options() const { return options_; }
  KeyedHasher* hasher() { return &hasher_; }
  RateLimiter& submit_limiter() { return submit_; }
  ReceiptGuard& receipts() { return receipts_; }

 private:
  GuardOptions options_;
  Clock clock_;
  KeyedHasher hasher_;
  RateLimiter submit_, operator_;
  ReceiptGuard receipts_;
  // The global budget's pools: counts in the current window (kSubmitPoolPercent).
  Mutex pool_mu_;
  int64_t pool_window_ GUARDED_BY(pool_mu_) = -1;
  std::array<int64_t, 4> pool_used_ GUARDED_BY(pool_mu_) = {};
  // Takes one statement from `pool` (take = false: only looks); returns 0 or Retry-After.
  int64_t TakeFromPool(SubmitPool pool, bool take);
  PowIssuer pow_;
  FloodDetector flood_;
  // Submissions per minute, for the difficulty: the current and the previous minute.
  Mutex load_mu_;
  int64_t load_minute_ GUARDED_BY(load_mu_) = 0;
  int64_t load_now_ GUARDED_BY(load_mu_) = 0;
  int64_t load_previous_ GUARDED_BY(load_mu_) = 0;
};

}  // namespace tuidang::safety
