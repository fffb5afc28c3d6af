#include "core/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <fmt/format.h>

namespace tuidang {

std::string Hotp(std::string_view secret, uint64_t counter, int digits) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC-SHA1 is what RFC 4226 and the authenticator apps use; libsodium has no SHA-1, so
  // this one primitive comes from OpenSSL.
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &len);
  int offset = mac[len - 1] & 0x0F;
  uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                    (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                    (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  return fmt::format("{:0{}}", binary % mod, digits);
}

std::string Totp(std::string_view secret, int64_t now, int digits) {
  return Hotp(secret, static_cast<uint64_t>(now / kTotpStepSeconds), digits);
}

bool VerifyTotp(std::string_view secret, std::string_view code, int64_t now) {
  return TotpStep(secret, code, now).has_value();
}

std::optional<int64_t> TotpStep(std::string_view secret, std::string_view code, int64_t now) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return std::nullopt;
  std::optional<int64_t> step;
  for (int64_t skew : {-1, 0, 1}) {
    int64_t candidate = now / kTotpStepSeconds + skew;
    std::string expected = Hotp(secret, static_cast<uint64_t>(candidate));
    if (sodium_memcmp(expected.data(), code.data(), expected.size()) == 0) step = candidate;
  }
  return step;
}

std::string Base32(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  auto enc = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_') out.push_back(static_cast<char>(c));
      else out += fmt::format("%{:02X}", c);
    }
    return out;
  };
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
                     enc(issuer), enc(account), Base32(secret), enc(issuer));
}

}  // namespace tuidang
