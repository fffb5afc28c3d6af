// One-time passwords for the operators' second factor: HOTP (RFC 4226) and TOTP
// (RFC 6238) with HMAC-SHA1, 6 digits and 30-second steps, the parameters every
// authenticator app understands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tuidang {

constexpr int kTotpDigits = 6;
constexpr int64_t kTotpStepSeconds = 30;
constexpr size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 recommends

// The HOTP value of `counter` under `secret`, as `digits` decimal digits.
std::string Hotp(std::string_view secret, uint64_t counter, int digits = kTotpDigits);
// The TOTP value at unix time `now`.
std::string Totp(std::string_view secret, int64_t now, int digits = kTotpDigits);
// True when `code` is the TOTP of `now` or of the step before or after (clock skew), in
// constant time per candidate.
bool VerifyTotp(std::string_view secret, std::string_view code, int64_t now);
// The time step (unix time / kTotpStepSeconds) whose TOTP `code` is, among the step of
// `now` and the one before and after; nullopt when none. Every candidate is compared, in
// constant time, whatever matched. Replay protection keeps the step of each accepted code
// and refuses any step at or below it (web/ops_auth.h).
std::optional<int64_t> TotpStep(std::string_view secret, std::string_view code, int64_t now);
// RFC 4648 base32 without padding (what otpauth URIs carry).
std::string Base32(std::string_view bytes);
// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace tuidang
