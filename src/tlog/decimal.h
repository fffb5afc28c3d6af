// Decimal numbers as the C2SP text formats write them (tree sizes, leaf indexes).
#pragma once

#include <cstdint>
#include <string_view>

namespace tuidang::tlog {

// Parses ASCII digits with no sign and no leading zero ("0" alone is fine) into *out; false,
// leaving *out alone, on any other text or a value above 2^64 - 1.
inline bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

}  // namespace tuidang::tlog
