// C2SP tlog-cosignature, Ed25519 `cosignature/v1` (https://c2sp.org/tlog-cosignature): a
// witness's timestamped statement that a checkpoint is the largest consistent tree it has
// seen for the log. It is a signed-note signature line
//
//   — <cosigner name> base64(key ID || u64 big-endian timestamp || Ed25519 signature)
//
// over the message "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint's note
// text (its final newline included, no signature line). The key ID is the first four bytes
// of SHA-256(name || 0x0A || 0x04 || 32-byte public key). Keys travel as text: a verifier key
// "<name>+<key ID>+base64(0x04 || public key)" (the spec's vkey) and a signer key
// "PRIVATE+KEY+<name>+<key ID>+base64(0x04 || seed)", the form of tlog/note.h with type 0x04.
//
// ML-DSA-44 cosignatures (type 0x06) wait for a Debian library (docs/witness.md).
//
// All functions and const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "tlog/note.h"

namespace tuidang::tlog {

inline constexpr uint8_t kSignatureTypeCosignatureV1 = 0x04;
// timestamp || signature, after the key ID.
inline constexpr size_t kCosignatureV1Size = 8 + kEd25519SignatureSize;
// The spec's bound: a timestamp must fit a signed 64-bit number.
inline constexpr uint64_t kMaxCosignatureTimestamp = (uint64_t{1} << 63) - 1;

// The message a cosignature/v1 signs for `checkpoint_text` (a note text ending in a newline)
// at POSIX time `timestamp`.
std::string CosignatureV1Message(std::string_view checkpoint_text, uint64_t timestamp);

class CosignatureVerifier {
 public:
  // Parses a vkey of type 0x04. Fails on any other form or type, and on a key ID that does
  // not match the name and key.
  static Result<CosignatureVerifier> Parse(std::string_view verifier_key);
  // Fails if `name` is not a valid key name.
  static Result<CosignatureVerifier> FromPublicKey(std::string_view name,
                                                   const Ed25519PublicKey& key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const Ed25519PublicKey& public_key() const { return public_key_; }
  std::string VerifierKey() const;

  // Checks `signature` (the bytes after the key ID: timestamp || Ed25519 signature) over
  // `checkpoint_text`; returns its timestamp. Fails on a wrong size, a timestamp above
  // kMaxCosignatureTimestamp, or a signature that does not verify.
  Result<uint64_t> Verify(std::string_view checkpoint_text, std::string_view signature) const;

  // Finds this key's line (same name and key ID) among the signatures of `note` (as ParseNote
  // leaves them, in `unverified`, or in `verified`) and checks it; returns its timestamp.
  // Fails if there is none or it does not verify.
  Result<uint64_t> VerifyNote(const Note& note) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  Ed25519PublicKey public_key_{};
};

// A witness's signing key. Holds a secret: move-only, wiped when destroyed.
class Cosigner {
 public:
  // Parses a signer key of type 0x04. Fails on any other form or type, and on a key ID that
  // does not match the name and the public key the seed yields.
  static Result<Cosigner> Parse(std::string_view signer_key);
  // A new key from the operating system's random source.
  static Result<Cosigner> Generate(std::string_view name);
  static Result<Cosigner> FromSeed(std::string_view name, const Ed25519Seed& seed);

  Cosigner(Cosigner&&) = default;
  Cosigner& operator=(Cosigner&&) = default;
  Cosigner(const Cosigner&) = delete;
  Cosigner& operator=(const Cosigner&) = delete;
  ~Cosigner();

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // The secret key as text, for the data folder; it grants cosigning power.
  std::string SignerKey() const;
  CosignatureVerifier Verifier() const;

  // The signature line (ending in a newline) cosigning `checkpoint_text` at `timestamp`.
  // Fails if the text does not end in a newline or is not note text, or if the timestamp is
  // zero (the witness protocol forbids omitting it) or above kMaxCosignatureTimestamp.
  Result<std::string> Cosign(std::string_view checkpoint_text, uint64_t timestamp) const;

 private:
  Cosigner() = default;

  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 64> secret_key_{};  // libsodium's form: seed || public key
};

// `signed_note` with `signature_lines` (each "— name base64\n") appended, as signed-note
// allows several signatures. Fails if the note does not parse (ParseNote), if a line is not
// a signature line, or if the result would exceed the note limits.
Result<std::string> AddSignatureLines(std::string_view signed_note,
                                      std::string_view signature_lines);

}  // namespace tuidang::tlog
