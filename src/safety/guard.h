// The abuse gate in front of the intake (DESIGN.md: validate -> abuse gate -> queue): rate
// limits (per client key, per receipt code, per operator, global), proof of work and flood
// detection, all in memory. It decides whether a request is served (else 429 or 503 with
// Retry-After) and whether a valid statement is published or held for moderation; it never
// refuses a statement for lack of JavaScript. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

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
  Limit submit_per_client{0, 600};   // statements
  // Everything done with a receipt code: per client, per code, over all clients.
  ReceiptLimits receipts;
  Limit operator_actions{0, 60};     // per operator account (console, issue 4)
  Limit global_submit{0, 60};        // statements per window over all clients: then 503
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

struct Admission {
  bool allowed = true;
  int status = 200;          // 429 (this client or code) or 503 (everyone) when refused
  int64_t retry_after = 0;   // seconds
};

struct Verdict {
  bool publish = true;        // false: hold for moderation
  std::string reason;         // why held: "no_pow", "generated_name", ...
  std::string group;          // the moderation queue's group
  PowCheck pow = PowCheck::kMissing;
};

class Guard {
 public:
  Guard(GuardOptions options, Clock clock = SystemClock());

  Admission AdmitSubmit(const std::optional<ClientKey>& client);
  Admission AdmitOperator(std::string_view operator_name);

  // The difficulty now, from the statements of the last minute.
  int CurrentBits();
  std::string IssueChallenge() { return pow_.Issue(CurrentBits()); }
  // Decides for a valid statement; counts it for flood detection.
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
  RateLimiter submit_, operator_, global_;
  ReceiptGuard receipts_;
  PowIssuer pow_;
  FloodDetector flood_;
  // Submissions per minute, for the difficulty: the current and the previous minute.
  std::mutex load_mu_;
  int64_t load_minute_ = 0;    // GUARDED_BY(load_mu_)
  int64_t load_now_ = 0;       // GUARDED_BY(load_mu_)
  int64_t load_previous_ = 0;  // GUARDED_BY(load_mu_)
};

}  // namespace tuidang::safety
