// Receipt codes: 16 random decimal digits (10^16 > 2^53), shown once to the declarant.
// The store keeps only ReceiptHash(code), so a copy of the database cannot list codes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tuidang {

constexpr size_t kReceiptDigits = 16;
using ReceiptHash = std::array<uint8_t, 32>;

// A fresh code from libsodium's CSPRNG: 16 ASCII digits. REQUIRES: sodium_init() was called.
std::string NewReceiptCode();
// "1234-5678-9012-3456".
std::string FormatReceiptCode(std::string_view digits);
// Accepts 16 digits with optional hyphens or spaces between groups; nullopt otherwise.
std::optional<std::string> ParseReceiptCode(std::string_view text);
// BLAKE2b-256 of the 16 digits, domain-separated.
ReceiptHash HashReceiptCode(std::string_view digits);

}  // namespace tuidang
