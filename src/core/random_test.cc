#include "core/random.h"

#include <array>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sodium.h>

namespace tuidang {
namespace {

// Draws that cross the pool's refills (1 KiB) in every way: lengths, and every byte value
// about as frequent as chance allows (a pool handing out its wiped bytes would give zeros).
TEST(Random, BytesAreFreshAcrossRefills) {
  ASSERT_GE(sodium_init(), 0);
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  std::array<int, 256> counts{};
  std::set<std::string> seen;
  size_t total = 0;
  for (size_t n : {1u, 31u, 32u, 1000u, 1024u, 1500u, 4096u, 7u}) {
    for (int i = 0; i < 20; ++i) {
      std::string b = RandomBytes(n);
      ASSERT_EQ(b.size(), n);
      if (n >= 16) {
        EXPECT_TRUE(seen.insert(b).second) << "a draw repeated";
      }
      for (unsigned char c : b) counts[c]++;
      total += n;
    }
  }
  const double expected = static_cast<double>(total) / 256;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 350.0);  // 255 degrees of freedom: above 350 has p < 0.0001
}

TEST(Random, ThreadsDrawDifferentBytes) {
  ASSERT_GE(sodium_init(), 0);
  std::string a, b;
  std::thread t1([&] { a = RandomBytes(64); });
  std::thread t2([&] { b = RandomBytes(64); });
  t1.join();
  t2.join();
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::string(64, '\0'));
}

TEST(Random, UniformStaysBelowItsBound) {
  ASSERT_GE(sodium_init(), 0);
  std::array<int, 7> counts{};
  for (int i = 0; i < 70000; ++i) {
    uint32_t v = RandomUniform(7);
    ASSERT_LT(v, 7u);
    counts[v]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 600);
}

}  // namespace
}  // namespace tuidang
