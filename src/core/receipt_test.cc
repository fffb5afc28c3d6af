#include "core/receipt.h"

#include <set>

#include <gtest/gtest.h>
#include <sodium.h>

namespace tuidang {

TEST(Receipt, CodesAreSixteenDigitsAndDiffer) {
  ASSERT_GE(sodium_init(), 0);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string c = NewReceiptCode();
    ASSERT_EQ(c.size(), 16u);
    for (char ch : c) ASSERT_TRUE(ch >= '0' && ch <= '9');
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Every digit position is uniform: 20,000 codes (several refills of the per-thread random
// pool) give each digit about 2,000 times per position; a pool that handed out wiped or
// repeated words would skew this far beyond the bound (chi-square, 9 degrees of freedom,
// 40 is beyond p = 0.00001).
TEST(Receipt, DigitsAreUniform) {
  ASSERT_GE(sodium_init(), 0);
  constexpr int kCodes = 20000;
  int counts[16][10] = {};
  for (int i = 0; i < kCodes; ++i) {
    std::string c = NewReceiptCode();
    for (int pos = 0; pos < 16; ++pos) counts[pos][c[pos] - '0']++;
  }
  for (int pos = 0; pos < 16; ++pos) {
    double chi2 = 0, expected = kCodes / 10.0;
    for (int d = 0; d < 10; ++d) chi2 += (counts[pos][d] - expected) * (counts[pos][d] - expected) / expected;
    EXPECT_LT(chi2, 40.0) << "position " << pos;
  }
}

TEST(Receipt, ParseAcceptsGroupsAndRejectsOthers) {
  EXPECT_EQ(*ParseReceiptCode("1234-5678-9012-3456"), "1234567890123456");
  EXPECT_EQ(*ParseReceiptCode("1234 5678 9012 3456"), "1234567890123456");
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-345"));
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-34567"));
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-345x"));
  EXPECT_EQ(FormatReceiptCode("1234567890123456"), "1234-5678-9012-3456");
}

TEST(Receipt, HashDependsOnEveryDigit) {
  EXPECT_NE(HashReceiptCode("1234567890123456"), HashReceiptCode("1234567890123457"));
  EXPECT_EQ(HashReceiptCode("1234567890123456"), HashReceiptCode("1234567890123456"));
}

}  // namespace tuidang
