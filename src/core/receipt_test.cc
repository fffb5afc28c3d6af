#include "core/receipt.h"

#include <set>

#include <gtest/gtest.h>
#include <sodium.h>

namespace tuidang {

constexpr char kOldHashHex[] = "27debab59191ae62f5deb20b11698263beeaa270c51a91d5561c6868b02b5a7d";

TEST(Receipt, CodesAreTwentyFourDigitsAndDiffer) {
  ASSERT_GE(sodium_init(), 0);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string c = NewReceiptCode();
    ASSERT_EQ(c.size(), 24u);
    ASSERT_FALSE(IsOldReceiptCode(c));
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
  int counts[kReceiptDigits][10] = {};
  for (int i = 0; i < kCodes; ++i) {
    std::string c = NewReceiptCode();
    for (size_t pos = 0; pos < kReceiptDigits; ++pos) counts[pos][c[pos] - '0']++;
  }
  for (size_t pos = 0; pos < kReceiptDigits; ++pos) {
    double chi2 = 0, expected = kCodes / 10.0;
    for (int d = 0; d < 10; ++d)
      chi2 += (counts[pos][d] - expected) * (counts[pos][d] - expected) / expected;
    EXPECT_LT(chi2, 40.0) << "position " << pos;
  }
}

TEST(Receipt, ParseAcceptsGroupsAndRejectsOthers) {
  EXPECT_EQ(*ParseReceiptCode("1234-5678-9012-3456-7890-1234"), "123456789012345678901234");
  EXPECT_EQ(*ParseReceiptCode("1234 5678 9012 3456 7890 1234"), "123456789012345678901234");
  EXPECT_EQ(*ParseReceiptCode("123456789012345678901234"), "123456789012345678901234");
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-3456-7890-123"));
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-3456-7890-12345"));
  EXPECT_FALSE(ParseReceiptCode("1234-5678-9012-3456-7890-123x"));
  EXPECT_FALSE(ParseReceiptCode("12345678901234567890"));  // neither length
  EXPECT_FALSE(ParseReceiptCode(""));
  EXPECT_FALSE(ParseReceiptCode("1234_5678_9012_3456"));
  EXPECT_FALSE(ParseReceiptCode(std::string(200, ' ') + "1234567890123456"));
  EXPECT_EQ(FormatReceiptCode("123456789012345678901234"), "1234-5678-9012-3456-7890-1234");
}

// Codes issued before the upgrade keep working: 16 digits, hashed as they always were.
TEST(Receipt, OldCodesStillParseAndHashAsBefore) {
  auto old = ParseReceiptCode("1234-5678-9012-3456");
  ASSERT_TRUE(old);
  EXPECT_EQ(*old, "1234567890123456");
  EXPECT_TRUE(IsOldReceiptCode(*old));
  EXPECT_EQ(FormatReceiptCode("1234567890123456"), "1234-5678-9012-3456");
  // BLAKE2b-256("tuidang receipt v1" || "1234567890123456"), as stored by earlier builds.
  ReceiptHash h = HashReceiptCode("1234567890123456");
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h.data(), h.size());
  EXPECT_STREQ(hex, kOldHashHex);
}

// What a Chinese input method types: full-width digits, the ideographic space, the
// full-width hyphen, dashes; also a stray space at either end.
TEST(Receipt, ParseNormalisesWhatInputMethodsType) {
  const std::string want = "123456789012345678901234";
  EXPECT_EQ(*ParseReceiptCode("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94"
                              "5678-9012-3456-7890-1234"),
            want);  // １２３４
  EXPECT_EQ(*ParseReceiptCode("1234\xE3\x80\x80"
                              "5678\xE3\x80\x80"
                              "9012\xE3\x80\x80"
                              "3456 7890 1234"),
            want);  // U+3000
  EXPECT_EQ(*ParseReceiptCode("1234\xEF\xBC\x8D"
                              "5678\xE2\x80\x94\xE2\x80\x94"
                              "9012\xE2\x80\x93"
                              "3456\xE2\x88\x92"
                              "7890-1234 "),
            want);
  EXPECT_EQ(*ParseReceiptCode(" \xEF\xBC\x90\xEF\xBC\x99"
                              "34567890123456"),
            "0934567890123456");
  // Other full-width characters are not digits: ＡＢ, and U+FF1A (：).
  EXPECT_FALSE(
      ParseReceiptCode("\xEF\xBC\xA1"
                       "23456789012345678901234"));
  EXPECT_FALSE(
      ParseReceiptCode("\xEF\xBC\x9A"
                       "23456789012345678901234"));
  // A truncated UTF-8 sequence, or bytes that are not UTF-8 at all.
  EXPECT_FALSE(ParseReceiptCode("1234567890123456\xEF\xBC"));
  EXPECT_FALSE(ParseReceiptCode("1234567890123456\xFF"));
}

TEST(Receipt, HashDependsOnEveryDigit) {
  EXPECT_NE(HashReceiptCode("1234567890123456"), HashReceiptCode("1234567890123457"));
  EXPECT_EQ(HashReceiptCode("1234567890123456"), HashReceiptCode("1234567890123456"));
}

}  // namespace tuidang
