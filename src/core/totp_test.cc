#include "core/totp.h"

#include <gtest/gtest.h>

namespace tuidang {

// RFC 6238 appendix B, SHA-1 rows (8 digits), and RFC 4226 appendix D (6 digits).
TEST(Totp, Rfc6238Vectors) {
  const std::string secret = "12345678901234567890";
  EXPECT_EQ(Totp(secret, 59, 8), "94287082");
  EXPECT_EQ(Totp(secret, 1111111109, 8), "07081804");
  EXPECT_EQ(Totp(secret, 1111111111, 8), "14050471");
  EXPECT_EQ(Totp(secret, 1234567890, 8), "89005924");
  EXPECT_EQ(Totp(secret, 2000000000, 8), "69279037");
  EXPECT_EQ(Totp(secret, 20000000000, 8), "65353130");
}

TEST(Totp, Rfc4226Vectors) {
  const std::string secret = "12345678901234567890";
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(Hotp(secret, i), expected[i]) << i;
}

TEST(Totp, VerifyAllowsOneStepOfSkewOnly) {
  const std::string secret = "12345678901234567890";
  int64_t now = 1700000000;
  EXPECT_TRUE(VerifyTotp(secret, Totp(secret, now), now));
  EXPECT_TRUE(VerifyTotp(secret, Totp(secret, now - 30), now));
  EXPECT_FALSE(VerifyTotp(secret, Totp(secret, now - 90), now));
  EXPECT_FALSE(VerifyTotp(secret, "12345", now));
}

TEST(Totp, StepSaysWhichStepMatched) {
  const std::string secret = "12345678901234567890";
  int64_t now = 1700000000;
  int64_t step = now / kTotpStepSeconds;
  EXPECT_EQ(TotpStep(secret, Totp(secret, now), now), step);
  EXPECT_EQ(TotpStep(secret, Totp(secret, now - 30), now), step - 1);
  EXPECT_EQ(TotpStep(secret, Totp(secret, now + 30), now), step + 1);
  EXPECT_EQ(TotpStep(secret, Totp(secret, now + 90), now), std::nullopt);
  EXPECT_EQ(TotpStep(secret, "abcdef", now), std::nullopt);
}

TEST(Totp, Base32AndUri) {
  EXPECT_EQ(Base32("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(OtpauthUri("tuidang", "alice", "foobar"),
            "otpauth://totp/"
            "tuidang:alice?secret=MZXW6YTBOI&issuer=tuidang&algorithm=SHA1&digits=6&period=30");
}

}  // namespace tuidang
