// Operators' login (docs/console.md, "Login and its limits"): the Argon2id hash runs on a
// small bounded pool, never on the I/O threads; limits slow a guesser without letting anyone
// lock an operator out; answers do not tell which names exist; a TOTP code is accepted once;
// a session ends when its operator's account changes. Everything here is in memory only:
// a restart forgets the counters, the throttles and the last accepted TOTP steps.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "safety/client_key.h"
#include "safety/rate_limiter.h"
#include "store/operator_store.h"
#include "web/ops_session.h"
#include "web/worker_pool.h"

namespace tuidang::web {

// Limits of the login, each with its reason.
// One hashing thread: on the 2-core machine the center runs, Argon2id (64 MiB, about 0.1 s)
// may take one core at most; the other stays for the I/O threads and the sequencer.
constexpr size_t kHashThreads = 1;
// Hashes waiting beyond the one running: a login waits at most about half a second for the
// pool; past that it is refused at once (503 + Retry-After) instead of queueing behind a flood.
constexpr size_t kHashQueue = 4;
// The hashing threads run at this nice value (Linux: per thread), so that when the cores
// are busy the I/O threads are served before a hash.
constexpr int kHashThreadNice = 10;
// Seconds a login refused because the pool is full is told to wait.
constexpr int64_t kHashBusyRetrySeconds = 2;
// Login attempts the whole server evaluates per minute, and in one burst. A center has tens
// of operators who log in a few times a day; 60 a minute keeps Argon2id under a tenth of a
// core and bounds how fast anyone can guess second-factor codes, however many addresses
// they use.
constexpr int64_t kLoginsPerMinute = 60;
constexpr int64_t kLoginBurst = 10;
// Login attempts per client (when clients are told apart, tuidang.toml client_key) per
// minute: an operator mistyping does not reach it; one address cannot take the global budget.
constexpr int64_t kLoginsPerClientPerMinute = 10;
// Failed logins on one name, remembered while the last one is younger than
// kFailureMemorySeconds; from kLockAfter on, the name is locked: only an attempt carrying a
// valid, unused TOTP code of the account is evaluated. A guesser of passwords gets
// kLockAfter guesses per quiet quarter of an hour; the operator still logs in.
constexpr int64_t kLockAfter = 10;
constexpr int64_t kFailureMemorySeconds = 15 * 60;
// Names whose failures are tracked. Only attempts admitted by the global rate create
// entries, so at most kLoginBurst + kLoginsPerMinute * 15 (about 900) names are live at
// once; the bound is a backstop against memory exhaustion.
constexpr size_t kMaxTrackedNames = 10000;

// A token bucket over every login attempt of the server. Thread-safe.
class LoginRate {
 public:
  LoginRate(int64_t per_minute, int64_t burst, safety::Clock clock);
  // Takes one token: 0 when allowed, else the seconds until one is back.
  int64_t Take();

 private:
  const int64_t per_minute_;
  const int64_t burst_;
  safety::Clock clock_;
  Mutex mu_;
  double tokens_ GUARDED_BY(mu_);
  int64_t last_ GUARDED_BY(mu_) = 0;  // when tokens_ was last refilled
};

// Failed logins per name, whether or not an operator has that name (so that a lock never
// tells which names exist), keyed by a BLAKE2b hash under a random key made at start: a
// password typed into the name field is not kept. Thread-safe: every update is atomic.
class FailedLogins {
 public:
  explicit FailedLogins(safety::Clock clock, size_t max_names = kMaxTrackedNames);
  void Record(std::string_view name);
  // Forgets the failures of `name` (after a successful login).
  void Clear(std::string_view name);
  // Failures of `name` still remembered.
  int64_t Count(std::string_view name);
  // Seconds until the lock of `name` ends if nobody fails again; 0 when it is not locked.
  int64_t LockedFor(std::string_view name);
  size_t TrackedNames();

 private:
  struct Entry {
    int64_t failures = 0;
    int64_t last = 0;  // unix seconds of the last failure
  };
  std::string Key(std::string_view name) const;
  safety::Clock clock_;
  const size_t max_names_;
  std::string hash_key_;  // written once in the constructor
  Mutex mu_;
  std::unordered_map<std::string, Entry> names_ GUARDED_BY(mu_);
};

// The last TOTP step accepted for each operator. Thread-safe.
class TotpSteps {
 public:
  // True when `step` is above the last step accepted for `operator_id`.
  bool Fresh(int64_t operator_id, int64_t step);
  // Accepts `step` for `operator_id` if it is fresh: then true, and no later call accepts
  // it or an earlier step again. Atomic: of two logins with one code, one wins.
  bool Claim(int64_t operator_id, int64_t step);

 private:
  Mutex mu_;
  std::unordered_map<int64_t, int64_t> last_ GUARDED_BY(mu_);
};

// The console's session cookie (Secure, HttpOnly, SameSite=Strict, only under /ops).
constexpr std::string_view kSessionCookie = "tuidang_ops";
// The session id in a Cookie header's value, if it carries the console's cookie.
std::optional<std::string> SessionCookie(std::string_view cookie_header);
// The Set-Cookie value that gives the browser `session_id`, and the one that deletes it.
std::string SessionSetCookie(std::string_view session_id);
std::string SessionClearCookie();

// The operator whose set-up link carries `token` (its BLAKE2b hash is the account's
// setup_hash, compared in constant time), or nullopt: unknown or empty token, an account
// already set up, or the store failing (the link then reads as invalid; nothing changes).
std::optional<Operator> OperatorOfSetupToken(OperatorStore& operators, std::string_view token);
// The hash a set-up token is stored as (Operator::setup_hash).
std::string SetupTokenHash(std::string_view token);

struct LoginAttempt {
  std::string name;
  std::string password;
  std::string code;  // the TOTP code
  std::optional<safety::ClientKey> client;
};

struct LoginOutcome {
  enum class Kind {
    kLoggedIn,   // session_id is the new session
    kFailed,     // wrong name, password or code (or a disabled account): 403
    kLocked,     // the name is locked and the attempt had no valid code: 429
    kThrottled,  // this client tried too often: 429
    kBusy,       // the server's login rate or the hashing pool is full: 503
    kStorage,    // the operator store failed: 503
  };
  Kind kind = Kind::kFailed;
  int64_t retry_after = 0;  // seconds, for kLocked, kThrottled and kBusy
  std::string session_id;
  Operator op;  // kLoggedIn: the operator
};

// The login and the session check of the console. Thread-safe; `operators` and `sessions`
// are not owned and must outlive it.
class OpsAuth {
 public:
  OpsAuth(OperatorStore* operators, SessionTable* sessions,
          safety::Clock clock = safety::SystemClock());

  // Evaluates one login attempt and calls `done` exactly once: at once on the calling
  // thread when the attempt is refused before hashing, else later from the hashing pool.
  // Unknown, disabled and not yet set up names go the same way as known ones, with a
  // dummy hash: same answers, same timing class.
  void Login(LoginAttempt attempt, std::function<void(LoginOutcome)> done);
  // Hashes `password` (crypto_pwhash_str, Argon2id) on the pool and calls `done` with the
  // hash, or nullopt when hashing failed; returns false, without calling `done`, when the
  // pool is full.
  bool HashPassword(std::string password, std::function<void(std::optional<std::string>)> done);
  // The session of identifier `id` if it is live (SessionTable::Find) and its operator is
  // still the account it logged in as: not disabled, same role, same password and second
  // factor (tuidang user reset changes both). Otherwise the session ends and nullopt.
  // Reads the operator from the store on every call, so a change made by the CLI in
  // another process counts at the next request.
  std::optional<OpsSession> CurrentSession(const std::string& id);
  // Accepts TOTP step `step` for `operator_id` once (the set-up form uses it too).
  bool ClaimTotp(int64_t operator_id, int64_t step) { return steps_.Claim(operator_id, step); }

  // Finishes the logins still queued and stops the pool (WorkerPool::Stop); later logins
  // are answered kBusy.
  void Stop() { pool_.Stop(); }

  FailedLogins& failures() { return failures_; }

 private:
  OperatorStore* operators_;
  SessionTable* sessions_;
  safety::Clock clock_;
  safety::RateLimiter per_client_;
  LoginRate rate_;
  FailedLogins failures_;
  TotpSteps steps_;
  WorkerPool pool_;  // last: its destructor runs queued jobs, which use the members above
};

}  // namespace tuidang::web
