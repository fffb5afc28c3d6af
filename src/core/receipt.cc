#include "core/receipt.h"

#include <sodium.h>

#include "core/random.h"

namespace tuidang {

namespace {
constexpr std::string_view kReceiptDomain = "tuidang receipt v1";

}  // namespace

std::string NewReceiptCode() {
  std::string code;
  code.reserve(kReceiptDigits);
  // Two uniform draws of 8 digits each: 10^16 equally likely codes (about 53.2 bits).
  for (int half = 0; half < 2; ++half) {
    uint32_t v = RandomUniform(100000000u);
    char buf[9];
    for (int i = 7; i >= 0; --i) {
      buf[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    code.append(buf, 8);
  }
  return code;
}

std::string FormatReceiptCode(std::string_view d) {
  std::string out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(d[i]);
  }
  return out;
}

std::optional<std::string> ParseReceiptCode(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (digits.size() == kReceiptDigits) return std::nullopt;
      digits.push_back(c);
    } else if (c != '-' && c != ' ') {
      return std::nullopt;
    }
  }
  if (digits.size() != kReceiptDigits) return std::nullopt;
  return digits;
}

ReceiptHash HashReceiptCode(std::string_view digits) {
  ReceiptHash h;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, h.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kReceiptDomain.data()),
                            kReceiptDomain.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(digits.data()),
                            digits.size());
  crypto_generichash_final(&st, h.data(), h.size());
  return h;
}

}  // namespace tuidang
