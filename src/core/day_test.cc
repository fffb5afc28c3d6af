#include "core/day.h"

#include <gtest/gtest.h>

namespace tuidang {

TEST(Day, ChinaStandardTimeBoundary) {
  // 2026-11-22T15:59:59Z is 23:59:59 in Beijing; one second later it is the 23rd.
  Day before = DayOfUnixTime(1795363199);
  Day after = DayOfUnixTime(1795363200);
  EXPECT_EQ(FormatDay(before), "2026-11-22");
  EXPECT_EQ(FormatDay(after), "2026-11-23");
}

TEST(Day, ParseRoundTrip) {
  auto d = ParseDay("2024-02-29");
  ASSERT_TRUE(d);
  EXPECT_EQ(FormatDay(*d), "2024-02-29");
}

TEST(Day, ParseRejectsNonDates) {
  EXPECT_FALSE(ParseDay("2023-02-29"));
  EXPECT_FALSE(ParseDay("2023-13-01"));
  EXPECT_FALSE(ParseDay("2023-1-01"));
  EXPECT_FALSE(ParseDay("20230101"));
  EXPECT_FALSE(ParseDay("2023-01-0x"));
  EXPECT_FALSE(ParseDay("1999-12-31"));
  EXPECT_FALSE(ParseDay(""));
}

}  // namespace tuidang
