#include "core/receipt.h"

#include <sodium.h>

#include "core/random.h"

namespace tuidang {

namespace {
constexpr std::string_view kReceiptDomain = "tuidang receipt v1";

// Separators typed between groups: ASCII, and what Chinese (and other) input methods put
// in for the space bar or the hyphen key in full-width mode. UTF-8 bytes.
constexpr std::string_view kSeparators[] = {
    " ",
    "-",
    "\t",
    "\xC2\xA0",      // U+00A0 no-break space
    "\xE3\x80\x80",  // U+3000 ideographic space
    "\xEF\xBC\x8D",  // U+FF0D full-width hyphen-minus
    "\xE2\x80\x90",  // U+2010 hyphen
    "\xE2\x80\x91",  // U+2011 non-breaking hyphen
    "\xE2\x80\x92",  // U+2012 figure dash
    "\xE2\x80\x93",  // U+2013 en dash
    "\xE2\x80\x94",  // U+2014 em dash (a Chinese IME's "——")
    "\xE2\x80\x95",  // U+2015 horizontal bar
    "\xE2\x88\x92",  // U+2212 minus sign
    "\xE3\x83\xBC",  // U+30FC prolonged sound mark (a Japanese IME's hyphen)
};

}  // namespace

std::string NewReceiptCode() {
  std::string code;
  code.reserve(kReceiptDigits);
  // Three uniform draws of 8 digits each: 10^24 equally likely codes (about 79.7 bits).
  static_assert(kReceiptDigits % 8 == 0);
  for (size_t part = 0; part < kReceiptDigits / 8; ++part) {
    uint32_t v = RandomUniform(100000000u);
    char buf[8];
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
  if (text.size() > kMaxReceiptCodeBytes) return std::nullopt;
  std::string digits;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      ++i;
      continue;
    }
    // U+FF10..U+FF19, full-width digits: EF BC 90..99.
    if (text.substr(i, 2) == "\xEF\xBC" && i + 2 < text.size()) {
      auto b = static_cast<unsigned char>(text[i + 2]);
      if (b >= 0x90 && b <= 0x99) {
        digits.push_back(static_cast<char>('0' + (b - 0x90)));
        i += 3;
        continue;
      }
    }
    bool separator = false;
    for (std::string_view s : kSeparators) {
      if (text.substr(i, s.size()) == s) {
        i += s.size();
        separator = true;
        break;
      }
    }
    if (!separator) return std::nullopt;
  }
  if (digits.size() != kReceiptDigits && digits.size() != kOldReceiptDigits) return std::nullopt;
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
