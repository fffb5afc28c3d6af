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
