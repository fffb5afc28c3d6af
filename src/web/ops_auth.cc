#include "web/ops_auth.h"

#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/totp.h"

namespace tuidang::web {

// ---- LoginRate

LoginRate::LoginRate(int64_t per_minute, int64_t burst, safety::Clock clock)
    : per_minute_(per_minute),
      burst_(burst),
      clock_(std::move(clock)),
      tokens_(static_cast<double>(burst)),
      last_(clock_()) {}

int64_t LoginRate::Take() {
  int64_t now = clock_();
  MutexLock lock(&mu_);
  if (now > last_) {
    tokens_ = std::min(static_cast<double>(burst_),
                       tokens_ + static_cast<double>((now - last_) * per_minute_) / 60.0);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  // Whole seconds until the bucket holds one token again, at least one.
  double missing = 1.0 - tokens_;
  auto wait = static_cast<int64_t>(std::ceil(missing * 60.0 / static_cast<double>(per_minute_)));
  return std::max<int64_t>(wait, 1);
}

// ---- FailedLogins

FailedLogins::FailedLogins(safety::Clock clock, size_t max_names)
    : clock_(std::move(clock)),
      max_names_(max_names),
      hash_key_(crypto_generichash_KEYBYTES, '\0') {
  randombytes_buf(hash_key_.data(), hash_key_.size());
}

std::string FailedLogins::Key(std::string_view name) const {
  std::string out(16, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(name.data()), name.size(),
                     reinterpret_cast<const unsigned char*>(hash_key_.data()), hash_key_.size());
  return out;
}

void FailedLogins::Record(std::string_view name) {
  std::string key = Key(name);
  int64_t now = clock_();
  MutexLock lock(&mu_);
  auto it = names_.find(key);
  if (it == names_.end()) {
    if (names_.size() >= max_names_) {
      std::erase_if(names_,
                    [&](const auto& kv) { return now - kv.second.last >= kFailureMemorySeconds; });
      // Still full (more names than the global login rate lets through): the names that
      // are not locked go first; a new name is not tracked rather than a lock forgotten.
      if (names_.size() >= max_names_) {
        std::erase_if(names_, [](const auto& kv) { return kv.second.failures < kLockAfter; });
      }
      if (names_.size() >= max_names_) return;
    }
    it = names_.emplace(std::move(key), Entry{}).first;
  }
  Entry& e = it->second;
  if (now - e.last >= kFailureMemorySeconds) e.failures = 0;
  e.failures += 1;
  e.last = now;
}

void FailedLogins::Clear(std::string_view name) {
  std::string key = Key(name);
  MutexLock lock(&mu_);
  names_.erase(key);
}

int64_t FailedLogins::Count(std::string_view name) {
  std::string key = Key(name);
  int64_t now = clock_();
  MutexLock lock(&mu_);
  auto it = names_.find(key);
  if (it == names_.end() || now - it->second.last >= kFailureMemorySeconds) return 0;
  return it->second.failures;
}

int64_t FailedLogins::LockedFor(std::string_view name) {
  std::string key = Key(name);
  int64_t now = clock_();
  MutexLock lock(&mu_);
  auto it = names_.find(key);
  if (it == names_.end() || it->second.failures < kLockAfter) return 0;
  int64_t left = it->second.last + kFailureMemorySeconds - now;
  return left > 0 ? left : 0;
}

size_t FailedLogins::TrackedNames() {
  MutexLock lock(&mu_);
  return names_.size();
}

// ---- TotpSteps

bool TotpSteps::Fresh(int64_t operator_id, int64_t step) {
  MutexLock lock(&mu_);
  auto it = last_.find(operator_id);
  return it == last_.end() || step > it->second;
}

bool TotpSteps::Claim(int64_t operator_id, int64_t step) {
  MutexLock lock(&mu_);
  auto [it, inserted] = last_.try_emplace(operator_id, step);
  if (inserted) return true;
  if (step <= it->second) return false;
  it->second = step;
  return true;
}

// ---- OpsAuth

namespace {

// The hash an unknown, disabled or not yet set-up name is checked against, so that it costs
// what a known name costs. Made once, on the pool.
const std::string& DummyHash() {
  static const std::string hash = [] {
    char h[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(h, "x", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      return std::string();
    }
    return std::string(h);
  }();
  return hash;
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// The lock's Retry-After, rounded up to whole minutes: it says when to come back without
// telling, to the second, when someone last failed on this name.
int64_t LockRetryAfter(int64_t seconds) { return (seconds + 59) / 60 * 60; }

LoginOutcome Outcome(LoginOutcome::Kind kind, int64_t retry_after = 0) {
  LoginOutcome out;
  out.kind = kind;
  out.retry_after = retry_after;
  return out;
}

}  // namespace

OpsAuth::OpsAuth(OperatorStore* operators, SessionTable* sessions, safety::Clock clock)
    : operators_(operators),
      sessions_(sessions),
      clock_(clock),
      per_client_(safety::Limit{kLoginsPerClientPerMinute, 60}, clock),
      rate_(kLoginsPerMinute, kLoginBurst, clock),
      failures_(clock),
      pool_(kHashThreads, kHashQueue, kHashThreadNice) {}

void OpsAuth::Login(LoginAttempt attempt, std::function<void(LoginOutcome)> done) {
  using Kind = LoginOutcome::Kind;
  // The cheap refusals first, in this order: one client cannot spend the server's budget;
  // every attempt that gets further (a locked name's too) spends it, which bounds how fast
  // second-factor codes can be tried.
  if (attempt.client) {
    if (int64_t wait = per_client_.Take(*attempt.client)) {
      return done(Outcome(Kind::kThrottled, wait));
    }
  }
  if (int64_t wait = rate_.Take()) return done(Outcome(Kind::kBusy, wait));
  auto found = operators_->FindOperator(attempt.name);
  if (!found) return done(Outcome(Kind::kStorage));
  std::optional<Operator> op = std::move(*found);
  bool usable = op && !op->disabled && !op->password_hash.empty() && !op->totp_secret.empty();
  // An unusable name's code is checked against a fixed secret and the result dropped, so
  // that it costs what a real check costs.
  static const std::string kNoSecret(kTotpSecretBytes, '\0');
  std::optional<int64_t> step =
      TotpStep(usable ? op->totp_secret : kNoSecret, attempt.code, clock_());
  if (!usable) step.reset();
  bool fresh_code = step && steps_.Fresh(op->id, *step);
  // A locked name is evaluated only with a valid, unused code: the attacker who has no
  // code is refused cheaply, the operator who has it is not. Unknown names lock the same way.
  if (int64_t locked = failures_.LockedFor(attempt.name); locked > 0 && !fresh_code) {
    failures_.Record(attempt.name);
    return done(Outcome(Kind::kLocked, LockRetryAfter(locked)));
  }
  auto shared_done = std::make_shared<std::function<void(LoginOutcome)>>(std::move(done));
  bool queued = pool_.TryPost([this, attempt = std::move(attempt), op = std::move(op), usable, step,
                               shared_done]() mutable {
    bool password_ok = VerifyPassword(usable ? op->password_hash : DummyHash(), attempt.password);
    sodium_memzero(attempt.password.data(), attempt.password.size());
    // The code is claimed only with the right password, so a guesser cannot spend it.
    bool ok = usable && password_ok && step && steps_.Claim(op->id, *step);
    if (!ok) {
      failures_.Record(attempt.name);
      // Answer first: the audit write (a sync to disk) happens only for names that exist,
      // and must not make their answer slower than an unknown name's.
      (*shared_done)(Outcome(Kind::kFailed));
      if (op) (void)operators_->Audit(op->id, "failed login", "operator " + op->name);
      return;
    }
    failures_.Clear(attempt.name);
    (void)operators_->Audit(op->id, "logged in", "operator " + op->name);
    LoginOutcome out = Outcome(Kind::kLoggedIn);
    out.session_id = sessions_->Create(*op);
    out.op = *op;
    (*shared_done)(std::move(out));
  });
  if (!queued) (*shared_done)(Outcome(Kind::kBusy, kHashBusyRetrySeconds));
}

bool OpsAuth::HashPassword(std::string password,
                           std::function<void(std::optional<std::string>)> done) {
  return pool_.TryPost([password = std::move(password), done = std::move(done)]() mutable {
    char hashed[crypto_pwhash_STRBYTES];
    std::optional<std::string> out;
    if (crypto_pwhash_str(hashed, password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0) {
      out = std::string(hashed);
    }
    sodium_memzero(password.data(), password.size());
    done(std::move(out));
  });
}

std::optional<OpsSession> OpsAuth::CurrentSession(const std::string& id) {
  std::optional<OpsSession> s = sessions_->Find(id);
  if (!s) return std::nullopt;
  auto op = operators_->GetOperator(s->operator_id);
  if (!op) return std::nullopt;  // the store failed: refuse this request, keep the session
  if (!op->has_value() || (*op)->disabled || (*op)->role != s->role ||
      !ConstantTimeEquals(AccountFingerprint(**op), s->account)) {
    sessions_->Remove(id);
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> SessionCookie(std::string_view header) {
  std::string_view name = kSessionCookie;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.starts_with(name) && item.size() > name.size() && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

std::string SessionSetCookie(std::string_view session_id) {
  return std::string(kSessionCookie) + "=" + std::string(session_id) +
         "; Path=/ops; Secure; HttpOnly; SameSite=Strict";
}

std::string SessionClearCookie() {
  return std::string(kSessionCookie) + "=; Path=/ops; Max-Age=0; Secure; HttpOnly; SameSite=Strict";
}

std::string SetupTokenHash(std::string_view token) {
  std::string hash(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return hash;
}

std::optional<Operator> OperatorOfSetupToken(OperatorStore& operators, std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string hash = SetupTokenHash(token);
  std::optional<Operator> op;
  auto all = operators.ListOperators();
  if (all) {
    // Every account is compared, so the time does not tell where the match was.
    for (auto& o : *all) {
      if (!o.setup_hash.empty() && ConstantTimeEquals(o.setup_hash, hash)) op = o;
    }
  }
  return op;
}

}  // namespace tuidang::web
