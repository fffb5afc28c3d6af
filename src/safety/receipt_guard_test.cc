#include "safety/receipt_guard.h"

#include <sodium.h>

#include <gtest/gtest.h>

namespace tuidang::safety {
namespace {

constexpr char kNew[] = "123456789012345678901234";
constexpr char kOld[] = "1234567890123456";

class ReceiptGuardTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  Clock fn() {
    return [this] { return now; };
  }
  // A new-form code that differs in its last digits.
  static std::string Code(int i) {
    std::string s = std::to_string(i);
    return std::string(24 - s.size(), '0') + s;
  }
  static std::string OldCode(int i) {
    std::string s = std::to_string(i);
    return std::string(16 - s.size(), '0') + s;
  }
  int64_t now = 1'800'000'020;
};

TEST_F(ReceiptGuardTest, FailedLookupsPerClientStopThatClientOnly) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.failed_per_client = {3, 3600};
  ReceiptGuard g(l, &h, fn());
  auto a = h.Hash("client", "a");
  auto b = h.Hash("client", "b");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.Admit(a, Code(i)).allowed()) << i;  // not found
  // Spent: even a real code is not looked up for this client until the window ends.
  ReceiptUse refused = g.Admit(a, kNew);
  EXPECT_FALSE(refused.allowed());
  EXPECT_GT(refused.retry_after(), 0);
  EXPECT_LE(refused.retry_after(), 3600);
  EXPECT_TRUE(g.Admit(b, kNew).allowed()) << "another client is not affected";
  // Found codes cost nothing of the failed budget.
  for (int i = 0; i < 10; ++i) g.Admit(b, kNew).Found();
  EXPECT_TRUE(g.Admit(b, kNew).allowed());
  now += 3600;
  EXPECT_TRUE(g.Admit(a, kNew).allowed()) << "a new window";
}

TEST_F(ReceiptGuardTest, EveryUseCountsPerClientAndPerCode) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.per_client = {4, 3600};
  l.per_code = {2, 3600};
  ReceiptGuard g(l, &h, fn());
  auto a = h.Hash("client", "a");
  auto b = h.Hash("client", "b");
  g.Admit(a, kNew).Found();
  g.Admit(b, kNew).Found();
  EXPECT_FALSE(g.Admit(std::nullopt, kNew).allowed()) << "one code, watched by anyone";
  g.Admit(a, Code(1)).Found();
  g.Admit(a, Code(2)).Found();
  EXPECT_TRUE(g.Admit(a, Code(3)).allowed());
  EXPECT_FALSE(g.Admit(a, Code(4)).allowed()) << "the client's every use";
}

// Unidentified clients (onion, client_key = "off") share one failed budget: once it is
// spent they are refused, while identified clients and found codes still pass.
TEST_F(ReceiptGuardTest, GlobalFailedBudgetStopsUnidentifiedGuessers) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.failed = {5, 60};
  ReceiptGuard g(l, &h, fn());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(g.Admit(std::nullopt, Code(i)).allowed());
  ReceiptUse refused = g.Admit(std::nullopt, kNew);
  EXPECT_FALSE(refused.allowed());
  EXPECT_LE(refused.retry_after(), 60);
  auto a = h.Hash("client", "a");
  ReceiptUse identified = g.Admit(a, kNew);
  EXPECT_TRUE(identified.allowed()) << "a told-apart client keeps its own budgets";
  identified.Found();
  now += 60;
  EXPECT_TRUE(g.Admit(std::nullopt, kNew).allowed());
}

// The bound for new codes: at most `uses` evaluations a window, whoever asks, however many
// clients there are.
TEST_F(ReceiptGuardTest, GlobalUsesBoundEveryLookUp) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.uses = {50, 60};
  l.failed = {20, 60};
  l.failed_per_client = {3, 3600};
  ReceiptGuard g(l, &h, fn());
  int admitted = 0;
  for (int i = 0; i < 10000; ++i) {
    // Ten thousand distinct clients, and unidentified ones in between.
    std::optional<ClientKey> c;
    if (i % 2) c = h.Hash("client", std::to_string(i));
    if (g.Admit(c, Code(i)).allowed()) ++admitted;
  }
  EXPECT_LE(admitted, 50);
  EXPECT_GE(admitted, 20);
  ReceiptUse later = g.Admit(h.Hash("client", "holder"), kNew);
  EXPECT_FALSE(later.allowed());
  EXPECT_GT(later.retry_after(), 0);
}

// Old-form codes: at most `failed_old` unknown ones are ever looked up in a window, by all
// clients together; found ones give their reservation back, so holders keep working until
// a guesser spends the budget.
TEST_F(ReceiptGuardTest, OldCodesHaveAStrictGlobalFailedBudget) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.failed_old = {3, 3600};
  ReceiptGuard g(l, &h, fn());
  for (int i = 0; i < 20; ++i) g.Admit(h.Hash("client", std::to_string(i)), kOld).Found();
  int looked_up = 0;
  for (int i = 0; i < 1000; ++i) {
    std::optional<ClientKey> c;
    if (i % 3) c = h.Hash("client", "guesser" + std::to_string(i));
    if (g.Admit(c, OldCode(i)).allowed()) ++looked_up;
  }
  EXPECT_EQ(looked_up, 3);
  ReceiptUse holder = g.Admit(h.Hash("client", "holder"), kOld);
  EXPECT_FALSE(holder.allowed()) << "spent: every old-form use waits, found or not";
  EXPECT_LE(holder.retry_after(), 3600);
  // New-form codes are not affected.
  EXPECT_TRUE(g.Admit(std::nullopt, kNew).allowed());
  now += 3600;
  EXPECT_TRUE(g.Admit(std::nullopt, kOld).allowed());
}

// A use refused after the old-form reservation (the global budget of every use) gives the
// reservation back; a use not looked up (a refused confirmation) costs no failure.
TEST_F(ReceiptGuardTest, RefusalsAndSkippedLookUpsCostNoFailure) {
  KeyedHasher h(fn());
  ReceiptLimits l;
  l.failed_old = {1, 3600};
  l.failed_per_client = {1, 3600};
  l.uses = {2, 60};
  ReceiptGuard g(l, &h, fn());
  auto a = h.Hash("client", "a");
  g.Admit(a, kNew).NotLookedUp();
  g.Admit(a, kOld).Found();
  EXPECT_FALSE(g.Admit(a, kOld).allowed()) << "uses spent";
  now += 60;
  ReceiptUse ok = g.Admit(a, kOld);
  EXPECT_TRUE(ok.allowed()) << "the reservation was given back; no failure counted";
  ok.Found();
}

TEST_F(ReceiptGuardTest, NoLimitsConfiguredLimitsNothing) {
  KeyedHasher h(fn());
  ReceiptGuard g(ReceiptLimits{}, &h, fn());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(g.Admit(std::nullopt, OldCode(i)).allowed());
  EXPECT_TRUE(ReceiptUse().allowed());
}

}  // namespace
}  // namespace tuidang::safety
