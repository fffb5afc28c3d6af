// Publication days. tuidang never stores a time finer than the day (DESIGN.md, privacy);
// days are counted in China Standard Time (UTC+8, no daylight saving).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tuidang {

// Days since 1970-01-01 in China Standard Time.
using Day = int32_t;

// Today's day in China Standard Time.
Day Today();
// The CST day of a Unix time in seconds.
Day DayOfUnixTime(int64_t unix_seconds);
// "YYYY-MM-DD".
std::string FormatDay(Day day);
// Parses exactly "YYYY-MM-DD" (a real calendar date between 2000 and 2999); nullopt otherwise.
std::optional<Day> ParseDay(std::string_view text);

}  // namespace tuidang
