#include "safety/receipt_guard.h"

#include "core/receipt.h"

namespace tuidang::safety {

void GlobalBudget::Roll(int64_t now) {
  if (now - start_ >= limit_.window_seconds || now < start_) {
    start_ = now - now % limit_.window_seconds;  // aligned windows: the same in every test
    count_ = 0;
  }
}

int64_t GlobalBudget::Take(int64_t* window) {
  if (limit_.count <= 0) return 0;
  int64_t now = clock_();
  MutexLock lock(&mu_);
  Roll(now);
  if (window) *window = start_;
  if (count_ >= limit_.count) {
    int64_t left = start_ + limit_.window_seconds - now;
    return left > 0 ? left : 1;
  }
  ++count_;
  return 0;
}

void GlobalBudget::Count() {
  if (limit_.count <= 0) return;
  int64_t now = clock_();
  MutexLock lock(&mu_);
  Roll(now);
  ++count_;
}

void GlobalBudget::GiveBack(int64_t window) {
  if (limit_.count <= 0) return;
  MutexLock lock(&mu_);
  if (window == start_ && count_ > 0) --count_;
}

int64_t GlobalBudget::Spent() {
  if (limit_.count <= 0) return 0;
  int64_t now = clock_();
  MutexLock lock(&mu_);
  Roll(now);
  if (count_ < limit_.count) return 0;
  int64_t left = start_ + limit_.window_seconds - now;
  return left > 0 ? left : 1;
}

ReceiptUse::ReceiptUse(ReceiptUse&& other) noexcept
    : guard_(other.guard_),
      client_(other.client_),
      old_form_(other.old_form_),
      reserved_old_(other.reserved_old_),
      old_window_(other.old_window_),
      retry_after_(other.retry_after_),
      settled_(other.settled_) {
  other.guard_ = nullptr;
}

ReceiptUse::~ReceiptUse() {
  if (!guard_ || !allowed()) return;
  if (settled_) {
    guard_->Release(*this);
  } else {
    guard_->Failed(*this);
  }
}

ReceiptGuard::ReceiptGuard(ReceiptLimits limits, KeyedHasher* hasher, Clock clock)
    : limits_(limits),
      hasher_(hasher),
      per_client_(limits_.per_client, clock),
      failed_per_client_(limits_.failed_per_client, clock),
      per_code_(limits_.per_code, clock),
      uses_(limits_.uses, clock),
      failed_(limits_.failed, clock),
      failed_old_(limits_.failed_old, clock) {}

ReceiptUse ReceiptGuard::Admit(const std::optional<ClientKey>& client, std::string_view code) {
  ReceiptUse use;
  use.guard_ = this;
  use.client_ = client;
  use.old_form_ = IsOldReceiptCode(code) && ParseReceiptCode(code).has_value();
  auto refuse = [&](int64_t wait) {
    use.retry_after_ = wait > 0 ? wait : 1;
    return std::move(use);
  };
  if (client) {
    if (int64_t wait = per_client_.Take(*client)) return refuse(wait);
    if (int64_t wait = failed_per_client_.Blocked(*client)) return refuse(wait);
  }
  if (int64_t wait = per_code_.Take(hasher_->Hash("receipt", code))) return refuse(wait);
  if (use.old_form_) {
    if (int64_t wait = failed_old_.Take(&use.old_window_)) return refuse(wait);
    use.reserved_old_ = limits_.failed_old.count > 0;
  } else if (!client) {
    if (int64_t wait = failed_.Spent()) return refuse(wait);
  }
  if (int64_t wait = uses_.Take()) {
    if (use.reserved_old_) failed_old_.GiveBack(use.old_window_);
    return refuse(wait);
  }
  return use;
}

void ReceiptGuard::Failed(const ReceiptUse& use) {
  if (use.client_) (void)failed_per_client_.Take(*use.client_);
  // An old-form failure keeps its reservation; a new-form one is counted.
  if (!use.old_form_) failed_.Count();
}

void ReceiptGuard::Release(const ReceiptUse& use) {
  if (use.reserved_old_) failed_old_.GiveBack(use.old_window_);
}

}  // namespace tuidang::safety
