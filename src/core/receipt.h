// Receipt codes: 24 random decimal digits (10^24, about 79.7 bits), shown once to the
// declarant in six groups of four. Codes issued before (16 digits, 10^16) keep working;
// docs/threat-model.md has the calculation behind both lengths and their limits.
// Digits, not letters: they type on any phone keypad and in every Chinese input method.
// The store keeps only ReceiptHash(code), so a copy of the database cannot list codes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tuidang {

// New codes. 10^24 / 10^10 statements (20 times the center's archive) leaves 10^14 guesses
// per hit on average: past a century even at a server's full request rate with no limit.
constexpr size_t kReceiptDigits = 24;
// Codes issued before the upgrade: still accepted, under their own strict global budget of
// failed look-ups (safety/receipt_guard.h), because 10^16 alone is guessable at scale.
constexpr size_t kOldReceiptDigits = 16;
// Longest text ParseReceiptCode reads: 24 digits with a separator (up to 3 bytes in UTF-8)
// after each, and full-width digits (3 bytes each): more is not a code someone typed.
constexpr size_t kMaxReceiptCodeBytes = 160;
using ReceiptHash = std::array<uint8_t, 32>;

// A fresh code from libsodium's CSPRNG: 24 ASCII digits. REQUIRES: sodium_init() was called.
std::string NewReceiptCode();
// "1234-5678-9012-3456-7890-1234" (groups of four, whatever the length).
std::string FormatReceiptCode(std::string_view digits);
// Reads a code as typed: 24 digits (or 16, an old code), ASCII or full-width (０-９),
// with any of these between them: space, hyphen, the ideographic space, the full-width
// hyphen, dashes and the minus sign a Chinese input method types. Returns the ASCII
// digits, or nullopt for anything else (another length, another character, valid UTF-8 or
// not, longer than kMaxReceiptCodeBytes).
std::optional<std::string> ParseReceiptCode(std::string_view text);
// True for a code of the old form (16 digits). REQUIRES: digits came from ParseReceiptCode.
inline bool IsOldReceiptCode(std::string_view digits) { return digits.size() == kOldReceiptDigits; }
// BLAKE2b-256 of the ASCII digits, domain-separated (the same for both lengths, so codes
// stored before the upgrade are found as they were).
ReceiptHash HashReceiptCode(std::string_view digits);

}  // namespace tuidang
