#include "core/receipt.h"

#include <sodium.h>

namespace tuidang {

namespace {
constexpr std::string_view kReceiptDomain = "tuidang receipt v1";

// Random 32-bit words from a per-thread pool refilled from the system 1 KiB at a time: a
// receipt needs two draws, and a system call per draw was a visible share of a busy
// server's and an import's time. Used words are wiped.
class RandomPool {
 public:
  uint32_t Next() {
    if (next_ == kWords) {
      randombytes_buf(words_, sizeof words_);
      next_ = 0;
    }
    uint32_t v = words_[next_];
    sodium_memzero(&words_[next_], sizeof v);
    ++next_;
    return v;
  }
  // Uniform in [0, bound): rejection of the low values that would bias the remainder,
  // as randombytes_uniform does.
  uint32_t Uniform(uint32_t bound) {
    const uint32_t min = (1U + ~bound) % bound;  // 2^32 mod bound
    uint32_t v;
    do v = Next();
    while (v < min);
    return v % bound;
  }

 private:
  static constexpr size_t kWords = 256;
  uint32_t words_[kWords];
  size_t next_ = kWords;
};
}  // namespace

std::string NewReceiptCode() {
  std::string code;
  code.reserve(kReceiptDigits);
  // Two uniform draws of 8 digits each: 10^16 equally likely codes (about 53.2 bits).
  for (int half = 0; half < 2; ++half) {
    thread_local RandomPool pool;
    uint32_t v = pool.Uniform(100000000u);
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
