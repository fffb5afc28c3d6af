#include "safety/pow.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include <sodium.h>

namespace tuidang::safety {

namespace {

std::string Hex(const uint8_t* p, size_t n) {
  std::vector<char> buf(n * 2 + 1);
  sodium_bin2hex(buf.data(), buf.size(), p, n);
  return std::string(buf.data(), n * 2);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
}

}  // namespace

std::string_view PowCheckName(PowCheck c) {
  switch (c) {
    case PowCheck::kValid: return "valid";
    case PowCheck::kMissing: return "missing";
    case PowCheck::kMalformed: return "malformed";
    case PowCheck::kExpired: return "expired";
    case PowCheck::kWrongNonce: return "wrong_nonce";
    case PowCheck::kReplayed: return "replayed";
    case PowCheck::kEarly: return "early";
  }
  return "?";
}

bool PowSolves(std::string_view challenge, std::string_view nonce, int bits) {
  if (bits < 0 || bits > 64) return false;
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(challenge.data()),
                            challenge.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(":"), 1);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size());
  uint8_t h[32];
  crypto_hash_sha256_final(&st, h);
  for (int i = 0; i < bits; ++i) {
    if (h[i / 8] & (0x80 >> (i % 8))) return false;
  }
  return true;
}

std::string SolvePow(std::string_view challenge, int bits) {
  for (uint64_t n = 0;; ++n) {
    std::string nonce = std::to_string(n);
    if (PowSolves(challenge, nonce, bits)) return nonce;
  }
}

PowIssuer::PowIssuer(Clock clock) : clock_(std::move(clock)) {
  randombytes_buf(key_.data(), key_.size());
}

PowIssuer::~PowIssuer() { sodium_memzero(key_.data(), key_.size()); }

std::string PowIssuer::Mac(std::string_view body) const {
  uint8_t mac[16];
  crypto_generichash(mac, sizeof mac, reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                     key_.data(), key_.size());
  return Hex(mac, sizeof mac);
}

std::string PowIssuer::Issue(int bits) {
  uint8_t rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  std::string body = "1." + std::to_string(clock_() / 60) + "." + std::to_string(bits) + "." +
                     Hex(rnd, sizeof rnd);
  return body + "." + Mac(body);
}

std::string PowIssuer::IssueToken(int64_t delay_seconds) {
  uint8_t rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  std::string body = "2." + std::to_string(clock_() + std::max<int64_t>(0, delay_seconds)) + ".0." +
                     Hex(rnd, sizeof rnd);
  return body + "." + Mac(body);
}

std::optional<int64_t> PowIssuer::TokenValidFrom(std::string_view token) {
  auto parts = Split(token, '.');
  int64_t from = 0;
  if (parts.size() != 5 || parts[0] != "2" || !ParseInt(parts[1], &from)) return std::nullopt;
  return from;
}

PowCheck PowIssuer::Redeem(std::string_view challenge, std::string_view nonce, int* bits_out) {
  if (challenge.empty() && nonce.empty()) return PowCheck::kMissing;
  if (challenge.size() > 128 || nonce.size() > 24) return PowCheck::kMalformed;
  auto parts = Split(challenge, '.');
  bool token = !parts.empty() && parts[0] == "2";
  if (parts.size() != 5 || (parts[0] != "1" && !token) || parts[3].size() != 16 ||
      parts[4].size() != 32) {
    return PowCheck::kMalformed;
  }
  int64_t stamp = 0, bits = 0;
  if (!ParseInt(parts[1], &stamp) || !ParseInt(parts[2], &bits) || bits > 64 ||
      (token && bits != 0)) {
    return PowCheck::kMalformed;
  }
  std::string expected = Mac(challenge.substr(0, challenge.size() - 33));
  if (sodium_memcmp(expected.data(), parts[4].data(), expected.size()) != 0) {
    return PowCheck::kMalformed;
  }
  if (bits_out) *bits_out = static_cast<int>(bits);
  int64_t now = clock_();
  // A challenge carries the minute it was issued, a token the second it becomes valid.
  int64_t expiry = (token ? stamp : stamp * 60) + kLifetimeSeconds;
  if (now > expiry) return PowCheck::kExpired;
  if (token && now < stamp) return PowCheck::kEarly;
  if (nonce.empty()) return PowCheck::kMissing;
  if (!PowSolves(challenge, nonce, static_cast<int>(bits))) return PowCheck::kWrongNonce;
  MutexLock lock(&mu_);
  if (now >= next_sweep_) {
    std::erase_if(spent_, [now](const auto& kv) { return kv.second < now; });
    next_sweep_ = now + 60;
  }
  if (spent_.size() >= kMaxSpent) return PowCheck::kReplayed;
  if (!spent_.emplace(std::string(parts[3]), expiry).second) return PowCheck::kReplayed;
  return PowCheck::kValid;
}

}  // namespace tuidang::safety
