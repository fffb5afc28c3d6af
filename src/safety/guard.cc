#include "safety/guard.h"

#include <algorithm>

namespace tuidang::safety {

Guard::Guard(GuardOptions options, Clock clock)
    : options_(std::move(options)),
      clock_(clock),
      hasher_(clock),
      submit_(options_.submit_per_client, clock),
      operator_(options_.operator_actions, clock),
      receipts_(options_.receipts, &hasher_, clock),
      pow_(clock),
      flood_(options_.flood, &hasher_) {}

Admission Guard::AdmitSubmit(const std::optional<ClientKey>& client) {
  {
    MutexLock lock(&load_mu_);
    int64_t minute = clock_() / 60;
    if (minute != load_minute_) {
      load_previous_ = minute == load_minute_ + 1 ? load_now_ : 0;
      load_now_ = 0;
      load_minute_ = minute;
    }
    ++load_now_;
  }
  if (client) {
    if (int64_t wait = submit_.Take(*client)) return {false, 429, wait};
  }
  // Whether it will be held is known only from its body: refuse now only when neither can
  // pass, so that a spent budget costs no parsing.
  SubmitPool passed = client ? SubmitPool::kIdentifiedPassed : SubmitPool::kUnidentifiedPassed;
  SubmitPool held = client ? SubmitPool::kIdentifiedHeld : SubmitPool::kUnidentifiedHeld;
  if (TakeFromPool(passed, false) > 0) {
    if (int64_t wait = TakeFromPool(held, false)) return {false, 503, wait};
  }
  return {};
}

int64_t Guard::TakeFromPool(SubmitPool pool, bool take) {
  const Limit& global = options_.global_submit;
  if (global.count <= 0) return 0;
  size_t i = static_cast<size_t>(pool);
  // At least one each, so that a small budget still serves every kind of client.
  int64_t limit = std::max<int64_t>(1, global.count * kSubmitPoolPercent[i] / 100);
  int64_t now = clock_();
  int64_t window = now / global.window_seconds;
  MutexLock lock(&pool_mu_);
  if (window != pool_window_) {
    pool_window_ = window;
    pool_used_.fill(0);
  }
  if (pool_used_[i] >= limit) {
    return std::max<int64_t>(1, (window + 1) * global.window_seconds - now);
  }
  if (take) ++pool_used_[i];
  return 0;
}

Admission Guard::AdmitOperator(std::string_view operator_name) {
  if (int64_t wait = operator_.Take(hasher_.Hash("operator", operator_name))) {
    return {false, 429, wait};
  }
  return {};
}

int Guard::CurrentBits() {
  int64_t rate;
  {
    MutexLock lock(&load_mu_);
    int64_t minute = clock_() / 60;
    rate = minute == load_minute_       ? std::max(load_now_, load_previous_)
           : minute == load_minute_ + 1 ? load_now_
                                        : 0;
  }
  int bits = options_.pow_min_bits;
  if (options_.pow_load_step > 0) {
    // One more bit each time the load doubles past the step.
    for (int64_t r = rate / options_.pow_load_step; r > 0 && bits < options_.pow_max_bits; r /= 2) {
      ++bits;
    }
  }
  return std::min(bits, options_.pow_max_bits);
}

Verdict Guard::Assess(const Statement& s, std::string_view pow_challenge,
                      std::string_view pow_nonce, const std::optional<ClientKey>& client) {
  Verdict v;
  // The solution is checked (and spent) even when the policy is off, so the outcome is the
  // same whatever the policy.
  int bits = 0;
  v.pow = pow_.Redeem(pow_challenge, pow_nonce, &bits);
  // Flood detection folds the whole text (OpenCC): not worth its cost when it decides
  // nothing.
  FloodVerdict f;
  if (options_.flood_hold) f = flood_.Assess(s, client);
  if (options_.flood_hold && f.hold) {
    v.publish = false;
    v.reason = f.reason;
    v.group = f.group;
  } else if (options_.pow_hold && v.pow != PowCheck::kValid) {
    v.publish = false;
    v.reason = "no_pow";
    v.group = "no_pow";
  }
  SubmitPool pool =
      client ? (v.publish ? SubmitPool::kIdentifiedPassed : SubmitPool::kIdentifiedHeld)
             : (v.publish ? SubmitPool::kUnidentifiedPassed : SubmitPool::kUnidentifiedHeld);
  if (int64_t wait = TakeFromPool(pool, true)) v.admission = {false, 503, wait};
  return v;
}

}  // namespace tuidang::safety
