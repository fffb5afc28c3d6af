#include "core/day.h"

#include <chrono>

#include <fmt/format.h>

namespace tuidang {

namespace {
constexpr int64_t kChinaOffsetSeconds = 8 * 3600;
constexpr int64_t kSecondsPerDay = 86400;
}  // namespace

Day DayOfUnixTime(int64_t unix_seconds) {
  int64_t t = unix_seconds + kChinaOffsetSeconds;
  int64_t d = t / kSecondsPerDay;
  if (t % kSecondsPerDay < 0) --d;
  return static_cast<Day>(d);
}

Day Today() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return DayOfUnixTime(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

std::string FormatDay(Day day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<Day> ParseDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (y < 2000 || y > 2999 || m < 1 || d < 1) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(m)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<Day>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

}  // namespace tuidang
