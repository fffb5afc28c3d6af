#include "web/ops_auth.h"

#include <sodium.h>

#include <atomic>
#include <future>
#include <map>

#include <gtest/gtest.h>

#include "core/totp.h"

namespace tuidang::web {
namespace {

using Kind = LoginOutcome::Kind;

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1700000000);
  safety::Clock clock() const {
    auto n = now;
    return [n] { return n->load(); };
  }
  void Advance(int64_t s) { *now += s; }
};

// The operator store in a few lines.
class MemoryOperators final : public OperatorStore {
 public:
  Result<int64_t> AddOperator(const Operator& op) override {
    std::lock_guard lock(mu_);
    Operator o = op;
    o.id = static_cast<int64_t>(ops_.size()) + 1;
    ops_[o.id] = o;
    return o.id;
  }
  Result<std::optional<Operator>> FindOperator(const std::string& name) override {
    std::lock_guard lock(mu_);
    for (auto& [id, op] : ops_) {
      if (op.name == name) return std::optional<Operator>(op);
    }
    return std::optional<Operator>();
  }
  Result<std::optional<Operator>> GetOperator(int64_t id) override {
    std::lock_guard lock(mu_);
    auto it = ops_.find(id);
    if (it == ops_.end()) return std::optional<Operator>();
    return std::optional<Operator>(it->second);
  }
  Result<std::vector<Operator>> ListOperators() override {
    std::lock_guard lock(mu_);
    std::vector<Operator> out;
    for (auto& [id, op] : ops_) out.push_back(op);
    return out;
  }
  Status UpdateOperator(const Operator& op) override {
    std::lock_guard lock(mu_);
    ops_[op.id] = op;
    return Status::Ok();
  }
  // The audited forms: the change and its entry together, as a real store's transaction.
  Result<int64_t> AddOperatorAudited(const Operator& op, const AuditEntry& audit) override {
    auto id = AddOperator(op);
    if (id) Remember(audit);
    return id;
  }
  Status UpdateOperatorAudited(const Operator& op, const AuditEntry& audit) override {
    Status s = UpdateOperator(op);
    if (s) Remember(audit);
    return s;
  }
  Status Audit(int64_t operator_id, std::string_view action, std::string_view object) override {
    AuditEntry entry;
    entry.operator_id = operator_id;
    entry.action = std::string(action);
    entry.object = std::string(object);
    Remember(entry);
    return Status::Ok();
  }
  Result<std::vector<AuditEntry>> AuditTrail(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<AuditEntry> out(trail_.rbegin(), trail_.rend());
    if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
    return out;
  }

 private:
  void Remember(const AuditEntry& entry) {
    std::lock_guard lock(mu_);
    trail_.push_back(entry);
  }
  std::mutex mu_;
  std::map<int64_t, Operator> ops_;
  std::vector<AuditEntry> trail_;
};

std::string Hash(std::string_view password) {
  char h[crypto_pwhash_STRBYTES];
  EXPECT_EQ(
      crypto_pwhash_str(h, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE),
      0);
  return h;
}

TEST(FailedLogins, ConcurrentFailuresAreAllCounted) {
  FakeClock clock;
  FailedLogins failures(clock.clock());
  constexpr int kThreads = 8, kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) failures.Record("alice");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.Count("alice"), kThreads * kEach);
  EXPECT_EQ(failures.Count("bob"), 0);
}

TEST(FailedLogins, LockAfterTenAndForgottenAfterAQuietQuarterHour) {
  FakeClock clock;
  FailedLogins failures(clock.clock());
  for (int i = 0; i < kLockAfter - 1; ++i) failures.Record("alice");
  EXPECT_EQ(failures.LockedFor("alice"), 0);
  failures.Record("alice");
  EXPECT_EQ(failures.LockedFor("alice"), kFailureMemorySeconds);
  clock.Advance(100);
  EXPECT_EQ(failures.LockedFor("alice"), kFailureMemorySeconds - 100);
  clock.Advance(kFailureMemorySeconds);
  EXPECT_EQ(failures.LockedFor("alice"), 0);
  // One failure after the quiet period starts counting again: it does not lock.
  failures.Record("alice");
  EXPECT_EQ(failures.Count("alice"), 1);
  EXPECT_EQ(failures.LockedFor("alice"), 0);
  failures.Clear("alice");
  EXPECT_EQ(failures.Count("alice"), 0);
}

TEST(FailedLogins, BoundedAndLocksKeptWhenFull) {
  FakeClock clock;
  FailedLogins failures(clock.clock(), 100);
  for (int i = 0; i < kLockAfter; ++i) failures.Record("alice");
  for (int i = 0; i < 1000; ++i) failures.Record("name" + std::to_string(i));
  EXPECT_LE(failures.TrackedNames(), 100u);
  EXPECT_GT(failures.LockedFor("alice"), 0) << "a flood of new names does not unlock alice";
}

TEST(TotpSteps, AStepIsAcceptedOnceEvenConcurrently) {
  TotpSteps steps;
  EXPECT_TRUE(steps.Fresh(1, 100));
  EXPECT_TRUE(steps.Claim(1, 100));
  EXPECT_FALSE(steps.Fresh(1, 100));
  EXPECT_FALSE(steps.Claim(1, 100));
  EXPECT_FALSE(steps.Claim(1, 99)) << "an earlier step either";
  EXPECT_TRUE(steps.Claim(1, 101));
  EXPECT_TRUE(steps.Claim(2, 100)) << "per operator";
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      if (steps.Claim(3, 500)) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST(LoginRate, BurstThenRefill) {
  FakeClock clock;
  LoginRate rate(60, 5, clock.clock());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rate.Take(), 0) << i;
  int64_t wait = rate.Take();
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 2);
  clock.Advance(1);
  EXPECT_EQ(rate.Take(), 0);
  EXPECT_GE(rate.Take(), 1);
  clock.Advance(3600);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rate.Take(), 0) << "refilled to the burst, no more";
  EXPECT_GE(rate.Take(), 1);
}

TEST(WorkerPool, FullQueueRefusesAtOnceAndStopRunsWhatIsQueued) {
  WorkerPool pool(1, 2, 0);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TryPost([&, gate] {
    started.set_value();
    gate.wait();
    ++ran;
  }));
  started.get_future().wait();  // the worker is busy
  EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
  EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
  EXPECT_FALSE(pool.TryPost([&] { ++ran; })) << "queue of 2 full";
  release.set_value();
  pool.Stop();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(pool.TryPost([&] { ++ran; })) << "stopped";
}

class OpsAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    Operator op;
    op.name = "alice";
    op.role = Role::kModerator;
    op.password_hash = Hash("right password");
    op.totp_secret = std::string(kTotpSecretBytes, '\x07');
    alice_ = *store_.AddOperator(op);
  }

  LoginOutcome Login(const std::string& name, const std::string& password, const std::string& code,
                     std::optional<safety::ClientKey> client = {}) {
    std::promise<LoginOutcome> p;
    auth_.Login(LoginAttempt{name, password, code, client},
                [&p](LoginOutcome out) { p.set_value(std::move(out)); });
    return p.get_future().get();
  }
  // The code of the step `offset` steps from now.
  std::string Code(int offset = 0) {
    return Totp(std::string(kTotpSecretBytes, '\x07'), clock_.now->load() + offset * 30);
  }
  // Steps past the global login rate (the tests below are about the other limits).
  void Refill() { clock_.Advance(kLoginBurst * 60 / kLoginsPerMinute); }

  FakeClock clock_;
  MemoryOperators store_;
  SessionTable sessions_{std::chrono::seconds(3600)};
  OpsAuth auth_{&store_, &sessions_, clock_.clock()};
  int64_t alice_ = 0;
};

TEST_F(OpsAuthTest, RightPasswordAndCodeLogInOnceWithThatCode) {
  LoginOutcome ok = Login("alice", "right password", Code());
  ASSERT_EQ(ok.kind, Kind::kLoggedIn);
  EXPECT_EQ(ok.op.id, alice_);
  EXPECT_TRUE(sessions_.Find(ok.session_id));
  EXPECT_EQ(Login("alice", "right password", Code()).kind, Kind::kFailed) << "replayed code";
  EXPECT_EQ(Login("alice", "right password", Code(-1)).kind, Kind::kFailed) << "earlier step";
  EXPECT_EQ(Login("alice", "right password", Code(1)).kind, Kind::kLoggedIn) << "next step";
  EXPECT_EQ(Login("alice", "wrong password", Code(1)).kind, Kind::kFailed);
}

TEST_F(OpsAuthTest, LockedNameStillLetsTheRightPasswordAndCodeIn) {
  for (int i = 0; i < kLockAfter; ++i) {
    EXPECT_EQ(Login("alice", "guess " + std::to_string(i), "000000").kind, Kind::kFailed) << i;
    Refill();
  }
  LoginOutcome locked = Login("alice", "right password", "000000");
  EXPECT_EQ(locked.kind, Kind::kLocked);
  EXPECT_EQ(locked.retry_after, 15 * 60);
  Refill();
  EXPECT_EQ(Login("alice", "another guess", "123456").kind, Kind::kLocked);
  Refill();
  EXPECT_EQ(Login("alice", "right password", Code()).kind, Kind::kLoggedIn);
  EXPECT_EQ(auth_.failures().Count("alice"), 0) << "a successful login clears the failures";
}

TEST_F(OpsAuthTest, UnknownAndDisabledNamesAnswerLikeKnownOnes) {
  Operator off;
  off.name = "olga";
  off.password_hash = Hash("olga's password");
  off.totp_secret = std::string(kTotpSecretBytes, '\x09');
  off.disabled = true;
  ASSERT_TRUE(store_.AddOperator(off));
  for (const char* name : {"alice", "nobody", "olga"}) {
    for (int i = 0; i < kLockAfter; ++i) {
      EXPECT_EQ(Login(name, "guess", "000000").kind, Kind::kFailed) << name << i;
    }
    Refill();
  }
  std::vector<LoginOutcome> locked;
  for (const char* name : {"alice", "nobody", "olga"}) locked.push_back(Login(name, "guess", "1"));
  for (const auto& out : locked) {
    EXPECT_EQ(out.kind, Kind::kLocked);
    EXPECT_EQ(out.retry_after, locked[0].retry_after);
  }
  Refill();
  EXPECT_EQ(Login("olga", "olga's password", Totp(off.totp_secret, clock_.now->load())).kind,
            Kind::kLocked)
      << "a disabled operator's own code does not pass the lock";
}

TEST_F(OpsAuthTest, GlobalRateAndPerClientThrottle) {
  safety::ClientKey a, b;
  a.hash[0] = 1;
  b.hash[0] = 2;
  for (int i = 0; i < kLoginsPerClientPerMinute; ++i) {
    EXPECT_NE(Login("nobody", "x", "0", a).kind, Kind::kThrottled) << i;
    if (i % 5 == 4) clock_.Advance(5);  // keep within the global burst
  }
  LoginOutcome throttled = Login("nobody", "x", "0", a);
  EXPECT_EQ(throttled.kind, Kind::kThrottled);
  EXPECT_GE(throttled.retry_after, 1);
  EXPECT_NE(Login("nobody", "x", "0", b).kind, Kind::kThrottled) << "another client is not";
  Refill();
  int busy = 0;
  for (int i = 0; i < kLoginBurst + 5; ++i) {
    if (Login("nobody", "x", "0").kind == Kind::kBusy) ++busy;
  }
  EXPECT_EQ(busy, 5) << "the burst, then the global rate refuses";
}

TEST_F(OpsAuthTest, SessionEndsWhenTheAccountChanges) {
  auto login = [&](int step) {
    LoginOutcome out = Login("alice", "right password", Code(step));
    EXPECT_EQ(out.kind, Kind::kLoggedIn);
    return out.session_id;
  };
  std::string s1 = login(-1);
  ASSERT_TRUE(auth_.CurrentSession(s1));
  Operator op = **store_.GetOperator(alice_);
  op.role = Role::kAdmin;
  ASSERT_TRUE(store_.UpdateOperator(op));
  EXPECT_FALSE(auth_.CurrentSession(s1)) << "role changed";
  EXPECT_FALSE(sessions_.Find(s1)) << "and the session is gone";

  std::string s2 = login(0);
  ASSERT_TRUE(auth_.CurrentSession(s2));
  op.disabled = true;
  ASSERT_TRUE(store_.UpdateOperator(op));
  EXPECT_FALSE(auth_.CurrentSession(s2)) << "disabled";

  op.disabled = false;
  ASSERT_TRUE(store_.UpdateOperator(op));
  std::string s3 = login(1);
  ASSERT_TRUE(auth_.CurrentSession(s3));
  op.password_hash.clear();  // tuidang user reset: new secret, password to set again
  op.totp_secret = std::string(kTotpSecretBytes, '\x08');
  ASSERT_TRUE(store_.UpdateOperator(op));
  EXPECT_FALSE(auth_.CurrentSession(s3)) << "reset";
}

}  // namespace
}  // namespace tuidang::web

namespace tuidang::web {
namespace {

TEST(SessionCookie, FoundAmongOtherCookiesOnlyUnderItsOwnName) {
  EXPECT_EQ(SessionCookie("tuidang_ops=abc"), "abc");
  EXPECT_EQ(SessionCookie("a=1; tuidang_ops=abc; b=2"), "abc");
  EXPECT_EQ(SessionCookie("a=1;  tuidang_ops=abc"), "abc");
  EXPECT_EQ(SessionCookie("tuidang_ops="), "");  // found, and no session has that id
  EXPECT_EQ(SessionCookie("tuidang_ops_old=abc"), std::nullopt);
  EXPECT_EQ(SessionCookie("xtuidang_ops=abc"), std::nullopt);
  EXPECT_EQ(SessionCookie("tuidang_ops"), std::nullopt);
  EXPECT_EQ(SessionCookie(""), std::nullopt);
}

TEST(SessionCookie, SetAndClearStayUnderOpsAndOutOfScripts) {
  EXPECT_EQ(SessionSetCookie("abc"),
            "tuidang_ops=abc; Path=/ops; Secure; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionClearCookie(),
            "tuidang_ops=; Path=/ops; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionCookie(SessionSetCookie("abc")), "abc");
}

TEST(SetupToken, FindsOnlyTheAccountWaitingForThatToken) {
  ASSERT_GE(sodium_init(), 0);
  MemoryOperators store;
  Operator waiting;
  waiting.name = "bob";
  waiting.setup_hash = SetupTokenHash("token-of-bob");
  Operator done;
  done.name = "carol";  // already set up: no setup hash
  ASSERT_TRUE(store.AddOperator(done));
  ASSERT_TRUE(store.AddOperator(waiting));
  auto op = OperatorOfSetupToken(store, "token-of-bob");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->name, "bob");
  EXPECT_FALSE(OperatorOfSetupToken(store, "token-of-someone"));
  EXPECT_FALSE(OperatorOfSetupToken(store, ""));
  EXPECT_EQ(SetupTokenHash("x").size(), static_cast<size_t>(crypto_generichash_BYTES));
  EXPECT_NE(SetupTokenHash("x"), SetupTokenHash("y"));
}

}  // namespace
}  // namespace tuidang::web
