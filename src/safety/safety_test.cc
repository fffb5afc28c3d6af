#include <sodium.h>

#include <gtest/gtest.h>

#include "safety/client_key.h"
#include "safety/flood.h"
#include "safety/guard.h"
#include "safety/pow.h"
#include "safety/rate_limiter.h"
#include "safety/seal.h"

namespace tuidang::safety {
namespace {

struct FakeClock {
  int64_t now = 1'800'000'000;
  Clock fn() {
    return [this] { return now; };
  }
};

class SafetyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  FakeClock clock;
};

std::array<uint8_t, 16> Addr(const char* text) { return *ParseAddress(text); }

Statement Named(const std::string& name, const std::string& text = "") {
  Statement s;
  s.persons.push_back(Person{name, false, kParty});
  s.text = text;
  return s;
}

TEST_F(SafetyTest, ClientKeyIsKeyedAndRotatesHourly) {
  KeyedHasher h(clock.fn());
  ClientIdentifier id(ClientKeyMode::kAddress, {}, "", &h);
  auto a1 = id.AtAccept(Addr("192.0.2.7")).key;
  auto a2 = id.AtAccept(Addr("192.0.2.7")).key;
  auto b = id.AtAccept(Addr("192.0.2.8")).key;
  ASSERT_TRUE(a1 && a2 && b);
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(a1->hash, b->hash);
  // The hash is not the address, nor an unkeyed hash of it.
  auto raw = Addr("192.0.2.7");
  EXPECT_NE(0, memcmp(a1->hash.data(), raw.data(), 16));
  clock.now += KeyedHasher::kRotationSeconds;
  auto a3 = id.AtAccept(Addr("192.0.2.7")).key;
  EXPECT_NE(a1->hash, a3->hash) << "a new hour, a new key: yesterday's hashes link to nothing";
  EXPECT_EQ(a3->epoch, a1->epoch + 1);
  // Another process (or a restart) has another key.
  KeyedHasher other(clock.fn());
  EXPECT_NE(other.Hash("client", "x").hash, h.Hash("client", "x").hash);
}

TEST_F(SafetyTest, OffModeTellsNoClientApart) {
  KeyedHasher h(clock.fn());
  ClientIdentifier id(ClientKeyMode::kOff, {}, "", &h);
  EXPECT_FALSE(id.AtAccept(Addr("192.0.2.7")).key);
}

TEST_F(SafetyTest, ProxyHeaderBelievedOnlyFromTrustedProxies) {
  KeyedHasher h(clock.fn());
  ClientIdentifier id(ClientKeyMode::kProxy, {*ParseNetwork("10.0.0.0/8"), *ParseNetwork("::1")},
                      "X-Forwarded-For", &h);
  ClientIdentifier direct(ClientKeyMode::kAddress, {}, "", &h);
  auto proxy = id.AtAccept(Addr("10.1.2.3"));
  EXPECT_TRUE(proxy.trusted_proxy);
  auto c1 = id.ForRequest(proxy, "198.51.100.1");
  auto c2 = id.ForRequest(proxy, "198.51.100.2");
  EXPECT_NE(c1->hash, c2->hash);
  EXPECT_EQ(c1->hash, direct.AtAccept(Addr("198.51.100.1")).key->hash);
  // A client-written entry left of the real one is ignored; our own hops are skipped.
  EXPECT_EQ(id.ForRequest(proxy, "6.6.6.6, 198.51.100.1, 10.9.9.9")->hash, c1->hash);
  // An untrusted peer's header is not believed.
  auto stranger = id.AtAccept(Addr("203.0.113.9"));
  EXPECT_FALSE(stranger.trusted_proxy);
  EXPECT_EQ(id.ForRequest(stranger, "198.51.100.1")->hash, stranger.key->hash);
  EXPECT_TRUE(ParseNetwork("2001:db8::/32"));
  EXPECT_FALSE(ParseNetwork("10.0.0.0/33"));
  EXPECT_FALSE(ParseNetwork("example.org"));
}

TEST_F(SafetyTest, AutoModeKeysDirectPeersAndOnlyNamedProxiesClients) {
  KeyedHasher h(clock.fn());
  ClientIdentifier id(ClientKeyMode::kAuto, {*ParseNetwork("127.0.0.2")}, "X-Forwarded-For", &h);
  ClientIdentifier direct(ClientKeyMode::kAddress, {}, "", &h);
  // A peer from the Internet is keyed by its address; its forwarding header is not believed.
  auto far = id.AtAccept(Addr("198.51.100.1"));
  ASSERT_TRUE(far.key);
  EXPECT_FALSE(far.trusted_proxy);
  EXPECT_EQ(far.key->hash, direct.AtAccept(Addr("198.51.100.1")).key->hash);
  EXPECT_EQ(id.ForRequest(far, "203.0.113.5")->hash, far.key->hash);
  // Any other loopback peer may be the Tor daemon, whose clients write what header they
  // like: nobody is told apart, header or not (a rotating header is not a new client).
  for (const char* local : {"127.0.0.1", "127.0.0.9", "::1"}) {
    auto peer = id.AtAccept(Addr(local));
    EXPECT_FALSE(peer.trusted_proxy) << local;
    EXPECT_FALSE(peer.key) << local;
    EXPECT_FALSE(id.ForRequest(peer, "")) << local;
    EXPECT_FALSE(id.ForRequest(peer, "198.51.100.1")) << local;
    EXPECT_FALSE(id.Identify(Addr(local), "198.51.100.7")) << local;
  }
  // The proxy named in trusted_proxies (nginx bound to 127.0.0.2) names its clients.
  auto proxy = id.AtAccept(Addr("127.0.0.2"));
  EXPECT_TRUE(proxy.trusted_proxy);
  auto c = id.ForRequest(proxy, "6.6.6.6, 198.51.100.1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->hash, far.key->hash);
  EXPECT_NE(id.ForRequest(proxy, "198.51.100.2")->hash, c->hash);
  // Without any trusted proxy, auto believes no header at all.
  ClientIdentifier bare(ClientKeyMode::kAuto, {}, "X-Forwarded-For", &h);
  EXPECT_FALSE(bare.AtAccept(Addr("127.0.0.2")).trusted_proxy);
  EXPECT_FALSE(bare.ForRequest(bare.AtAccept(Addr("127.0.0.2")), "198.51.100.1"));
  EXPECT_EQ(bare.ForRequest(bare.AtAccept(Addr("198.51.100.9")), "198.51.100.1")->hash,
            direct.AtAccept(Addr("198.51.100.9")).key->hash);
  EXPECT_TRUE(IsLoopback(Addr("127.255.0.1")));
  EXPECT_TRUE(IsLoopback(Addr("::1")));
  EXPECT_FALSE(IsLoopback(Addr("128.0.0.1")));
  EXPECT_FALSE(IsLoopback(Addr("::2")));
  EXPECT_EQ(ParseClientKeyMode("auto"), ClientKeyMode::kAuto);
}

TEST_F(SafetyTest, RateLimiterWindowsAndRotation) {
  KeyedHasher h(clock.fn());
  RateLimiter lim({3, 60}, clock.fn());
  auto k = h.Hash("client", "a");
  EXPECT_EQ(lim.Take(k), 0);
  EXPECT_EQ(lim.Take(k), 0);
  EXPECT_EQ(lim.Take(k), 0);
  clock.now += 10;
  EXPECT_EQ(lim.Take(k), 50) << "Retry-After: the rest of the window";
  EXPECT_EQ(lim.Take(h.Hash("client", "b")), 0) << "another client is not affected";
  clock.now += 50;
  EXPECT_EQ(lim.Take(k), 0);
  // After the hourly rotation, the old entries are gone from memory.
  clock.now += 3600;
  auto k2 = h.Hash("client", "a");
  EXPECT_EQ(lim.Take(k2), 0);
  EXPECT_EQ(lim.TrackedKeys(), 1u);
}

TEST_F(SafetyTest, RateLimiterMemoryIsBounded) {
  KeyedHasher h(clock.fn());
  RateLimiter lim({1, 60}, clock.fn(), 100);
  for (int i = 0; i < 1000; ++i) lim.Take(h.Hash("client", std::to_string(i)));
  EXPECT_LE(lim.TrackedKeys(), 100u);
}

TEST_F(SafetyTest, ProofOfWork) {
  PowIssuer pow(clock.fn());
  std::string c = pow.Issue(8);
  EXPECT_EQ(pow.Redeem("", ""), PowCheck::kMissing);
  EXPECT_EQ(pow.Redeem(c, ""), PowCheck::kMissing);
  std::string nonce = SolvePow(c, 8);
  std::string wrong = nonce == "0" ? "1" : "0";
  if (!PowSolves(c, wrong, 8)) {
    EXPECT_EQ(pow.Redeem(c, wrong), PowCheck::kWrongNonce);
  }
  // A forged challenge with a lower difficulty fails its MAC.
  std::string forged = c;
  forged[forged.find(".8.") + 1] = '1';
  EXPECT_EQ(pow.Redeem(forged, SolvePow(forged, 1)), PowCheck::kMalformed);
  EXPECT_EQ(pow.Redeem(c, nonce), PowCheck::kValid);
  EXPECT_EQ(pow.Redeem(c, nonce), PowCheck::kReplayed);
  std::string old = pow.Issue(4);
  clock.now += PowIssuer::kLifetimeSeconds + 61;
  EXPECT_EQ(pow.Redeem(old, SolvePow(old, 4)), PowCheck::kExpired);
  // Another process's challenges are not accepted.
  PowIssuer other(clock.fn());
  std::string c2 = other.Issue(4);
  EXPECT_EQ(pow.Redeem(c2, SolvePow(c2, 4)), PowCheck::kMalformed);
  EXPECT_EQ(pow.Redeem("1.2.3.4.5", "0"), PowCheck::kMalformed);
}

TEST_F(SafetyTest, FormTokenValidAfterItsDelayOnce) {
  PowIssuer pow(clock.fn());
  std::string t = pow.IssueToken(3);
  ASSERT_TRUE(PowIssuer::TokenValidFrom(t));
  EXPECT_EQ(*PowIssuer::TokenValidFrom(t), clock.now + 3);
  EXPECT_FALSE(PowIssuer::TokenValidFrom(pow.Issue(4)));
  EXPECT_EQ(pow.Redeem(t, "0"), PowCheck::kEarly);
  clock.now += 2;
  EXPECT_EQ(pow.Redeem(t, "0"), PowCheck::kEarly) << "an early try does not spend it";
  clock.now += 1;
  int bits = -1;
  EXPECT_EQ(pow.Redeem(t, "0", &bits), PowCheck::kValid);
  EXPECT_EQ(bits, 0);
  EXPECT_EQ(pow.Redeem(t, "0"), PowCheck::kReplayed);
  // The second it becomes valid is under the MAC: moved earlier, the token is refused.
  std::string t2 = pow.IssueToken(100);
  std::string forged = "2." + std::to_string(clock.now) + t2.substr(t2.find(".0."));
  EXPECT_EQ(pow.Redeem(forged, "0"), PowCheck::kMalformed);
  // A token with a difficulty, or from another process, is not one.
  std::string with_bits = t2;
  with_bits.replace(with_bits.find(".0."), 3, ".1.");
  EXPECT_EQ(pow.Redeem(with_bits, "0"), PowCheck::kMalformed);
  PowIssuer other(clock.fn());
  std::string t3 = other.IssueToken(0);
  EXPECT_EQ(pow.Redeem(t3, "0"), PowCheck::kMalformed);
  std::string old = pow.IssueToken(0);
  clock.now += PowIssuer::kLifetimeSeconds + 1;
  EXPECT_EQ(pow.Redeem(old, "0"), PowCheck::kExpired);
}

TEST_F(SafetyTest, DifficultyRisesWithLoad) {
  GuardOptions o;
  o.pow_min_bits = 10;
  o.pow_max_bits = 14;
  o.pow_load_step = 10;
  Guard g(o, clock.fn());
  EXPECT_EQ(g.CurrentBits(), 10);
  for (int i = 0; i < 10; ++i) g.AdmitSubmit(std::nullopt);
  EXPECT_EQ(g.CurrentBits(), 11);
  for (int i = 0; i < 30; ++i) g.AdmitSubmit(std::nullopt);
  EXPECT_EQ(g.CurrentBits(), 13);
  for (int i = 0; i < 10000; ++i) g.AdmitSubmit(std::nullopt);
  EXPECT_EQ(g.CurrentBits(), 14) << "capped";
  clock.now += 180;
  EXPECT_EQ(g.CurrentBits(), 10) << "falls back when the load is gone";
}

TEST_F(SafetyTest, FloodDetection) {
  KeyedHasher h(clock.fn());
  FloodOptions o;
  o.text_repeats = 3;
  o.name_repeats = 4;
  o.burst = 2;
  FloodDetector f(o, &h);
  EXPECT_TRUE(LooksGenerated("张伟123"));
  EXPECT_TRUE(LooksGenerated("张伟１２"));
  EXPECT_FALSE(LooksGenerated("张伟"));
  auto g1 = f.Assess(Named("用户001"), std::nullopt);
  auto g2 = f.Assess(Named("用户777"), std::nullopt);
  EXPECT_TRUE(g1.hold);
  EXPECT_EQ(g1.reason, "generated_name");
  EXPECT_EQ(g1.group, g2.group) << "one generator, one group";
  std::string text = "我宣布退出中国共产党及其一切附属组织，永不回头。";
  EXPECT_FALSE(f.Assess(Named("甲", text), std::nullopt).hold);
  EXPECT_FALSE(
      f.Assess(Named("乙", " 我宣布退出中國共產黨及其一切附屬組織 永不回頭 "), std::nullopt).hold);
  auto d = f.Assess(Named("丙", "我宣布退出中国共产党及其一切附属组织!!永不回头"), std::nullopt);
  EXPECT_TRUE(d.hold) << "the same text, traditional or simplified, spaced or punctuated";
  EXPECT_EQ(d.reason, "duplicate_text");
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(f.Assess(Named("王芳"), std::nullopt).hold);
  EXPECT_EQ(f.Assess(Named("王芳"), std::nullopt).reason, "repeated_name");
  auto client = h.Hash("client", "x");
  EXPECT_FALSE(f.Assess(Named("赵一"), client).hold);
  EXPECT_FALSE(f.Assess(Named("赵二"), client).hold);
  auto b1 = f.Assess(Named("赵三"), client);
  auto b2 = f.Assess(Named("赵四"), client);
  EXPECT_EQ(b1.reason, "burst");
  EXPECT_EQ(b1.group, b2.group);
  EXPECT_FALSE(f.Assess(Named("钱五"), h.Hash("client", "y")).hold);
  // The next hour starts afresh.
  clock.now += 3600;
  EXPECT_FALSE(f.Assess(Named("赵六"), h.Hash("client", "x")).hold);
}

TEST_F(SafetyTest, GuardHoldsWithoutProofOfWorkButNeverRefuses) {
  GuardOptions o;
  o.pow_hold = true;
  o.pow_min_bits = 4;
  Guard g(o, clock.fn());
  auto v = g.Assess(Named("李四"), "", "", std::nullopt);
  EXPECT_FALSE(v.publish);
  EXPECT_EQ(v.reason, "no_pow");
  std::string c = g.IssueChallenge();
  auto ok = g.Assess(Named("李五"), c, SolvePow(c, 4), std::nullopt);
  EXPECT_TRUE(ok.publish);
  EXPECT_EQ(ok.pow, PowCheck::kValid);
}

TEST_F(SafetyTest, GuardLimits) {
  GuardOptions o;
  o.submit_per_client = {2, 60};
  o.global_submit = {10, 60};  // identified clients: 4 passed, 1 held
  o.receipts.per_code = {2, 3600};
  o.operator_actions = {1, 60};
  Guard g(o, clock.fn());
  auto a = g.hasher()->Hash("client", "a");
  EXPECT_TRUE(g.AdmitSubmit(a).allowed);
  EXPECT_TRUE(g.AdmitSubmit(a).allowed);
  auto r = g.AdmitSubmit(a);
  EXPECT_EQ(r.status, 429);
  EXPECT_GT(r.retry_after, 0);
  // The identified clients' share of the global limit: 503 for all of them.
  for (int i = 0; i < 4; ++i) {
    auto c = g.hasher()->Hash("client", "c" + std::to_string(i));
    ASSERT_TRUE(g.AdmitSubmit(c).allowed) << i;
    EXPECT_TRUE(g.Assess(Named("甲" + std::to_string(i)), "", "", c).admission.allowed) << i;
  }
  auto b = g.hasher()->Hash("client", "b");
  ASSERT_TRUE(g.AdmitSubmit(b).allowed) << "its held pool has room: decided on the body";
  auto refused = g.Assess(Named("乙"), "", "", b).admission;
  EXPECT_EQ(refused.status, 503) << "the global limit: every identified client waits";
  EXPECT_GT(refused.retry_after, 0);
  // Receipt codes (receipt_guard_test.cc has the rest): the guard passes its options on.
  EXPECT_TRUE(g.receipts().Admit(std::nullopt, "1234").allowed());
  EXPECT_TRUE(g.receipts().Admit(std::nullopt, "1234").allowed());
  EXPECT_FALSE(g.receipts().Admit(std::nullopt, "1234").allowed());
  EXPECT_TRUE(g.receipts().Admit(std::nullopt, "5678").allowed());
  EXPECT_TRUE(g.AdmitOperator("alice").allowed);
  EXPECT_EQ(g.AdmitOperator("alice").status, 429);
  EXPECT_TRUE(g.AdmitOperator("bob").allowed);
}

TEST_F(SafetyTest, OneFloodCannotSpendTheOthersShareOfTheGlobalBudget) {
  GuardOptions o;
  o.global_submit = {100, 60};  // pools: 40, 10, 35, 15
  o.pow_hold = true;
  o.pow_min_bits = 2;
  o.pow_max_bits = 2;
  Guard g(o, clock.fn());
  auto passed = [&](const std::optional<ClientKey>& c, const std::string& name) {
    if (!g.AdmitSubmit(c).allowed) return 503;
    std::string ch = g.IssueChallenge();
    auto v = g.Assess(Named(name), ch, SolvePow(ch, 2), c);
    EXPECT_TRUE(v.publish) << name;
    return v.admission.allowed ? 201 : v.admission.status;
  };
  auto held = [&](const std::optional<ClientKey>& c, const std::string& name) {
    auto a = g.AdmitSubmit(c);
    if (!a.allowed) return a.status;
    auto v = g.Assess(Named(name), "", "", c);
    EXPECT_FALSE(v.publish) << name;
    return v.admission.allowed ? 201 : v.admission.status;
  };
  // An onion flood without proof of work: 15 pass (held), then 503.
  int held_ok = 0;
  for (int i = 0; i < 1000; ++i) held_ok += held(std::nullopt, "洪" + std::to_string(i)) == 201;
  EXPECT_EQ(held_ok, 15);
  EXPECT_EQ(held(std::nullopt, "无脚本"), 503);
  // Onion clients that pay the proof of work, and every identified client, still submit.
  EXPECT_EQ(passed(std::nullopt, "洋葱"), 201);
  auto id = g.hasher()->Hash("client", "identified");
  EXPECT_EQ(passed(id, "认出"), 201);
  EXPECT_EQ(held(id, "认出无脚本"), 201);
  // A flood that pays the work spends the onion clients' passed pool, never the others'.
  int paid_ok = 0;
  for (int i = 0; i < 100; ++i) paid_ok += passed(std::nullopt, "付" + std::to_string(i)) == 201;
  EXPECT_EQ(paid_ok, 34);
  EXPECT_EQ(g.AdmitSubmit(std::nullopt).status, 503) << "both onion pools spent: refused early";
  EXPECT_EQ(passed(g.hasher()->Hash("client", "other"), "另一个"), 201);
  // The next window starts afresh.
  clock.now += 60;
  EXPECT_EQ(held(std::nullopt, "新一分钟"), 201);
}

TEST_F(SafetyTest, SealedBoxes) {
  auto sk = OfficeSecretKey::Generate();
  ASSERT_TRUE(sk);
  auto pk = ParseOfficePublicKey(sk->Public().Text() + "\n");
  ASSERT_TRUE(pk);
  std::string box = Seal(*pk, "微信: wx-secret-42");
  EXPECT_EQ(box.find("wx-secret-42"), std::string::npos);
  EXPECT_EQ(*sk->Open(box), "微信: wx-secret-42");
  auto again = OfficeSecretKey::Parse(sk->Text());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->Open(box), "微信: wx-secret-42");
  auto other = OfficeSecretKey::Generate();
  EXPECT_FALSE(other->Open(box));
  std::string damaged = box;
  damaged[40] ^= 1;
  EXPECT_FALSE(sk->Open(damaged));
  EXPECT_FALSE(ParseOfficePublicKey("tuidang-office-public-v1:AAAA"));
  EXPECT_FALSE(OfficeSecretKey::Parse(sk->Public().Text()));
}

TEST_F(SafetyTest, SessionKeyringForgetsOnLockAndTimeout) {
  auto sk = OfficeSecretKey::Generate();
  std::string box = Seal(sk->Public(), "contact");
  SessionKeyring ring(std::chrono::seconds(900));
  EXPECT_FALSE(ring.Open("s1", box));
  auto wrong = OfficeSecretKey::Generate();
  EXPECT_FALSE(ring.Unlock("s1", wrong->Text(), sk->Public()));
  ASSERT_TRUE(ring.Unlock("s1", sk->Text(), sk->Public()));
  EXPECT_EQ(*ring.Open("s1", box), "contact");
  EXPECT_FALSE(ring.Open("s2", box)) << "another session has not unlocked";
  ring.Lock("s1");
  EXPECT_FALSE(ring.Open("s1", box));
  ASSERT_TRUE(ring.Unlock("s1", sk->Text(), sk->Public()));
  ring.AdvanceForTest(std::chrono::seconds(901));
  EXPECT_FALSE(ring.Unlocked("s1")) << "idle timeout";
  EXPECT_TRUE(SecretEquals("abc", "abc"));
  EXPECT_FALSE(SecretEquals("abc", "abd"));
  EXPECT_FALSE(SecretEquals("abc", "abcd"));
}

}  // namespace
}  // namespace tuidang::safety
