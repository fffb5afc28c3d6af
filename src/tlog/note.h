// C2SP signed-note with Ed25519 keys (https://c2sp.org/signed-note):
//
//   <text ending in a newline>
//   <blank line>
//   — <key name> base64(key ID || signature)
//   ...
//
// Keys travel as text: a verifier key "<name>+<8 hex digits of key ID>+base64(0x01 ||
// public key)" and a signer key "PRIVATE+KEY+<name>+<key ID>+base64(0x01 || seed)", the
// forms golang.org/x/mod/sumdb/note reads and writes. The key ID is the first four bytes,
// big-endian, of SHA-256(name || 0x0A || 0x01 || public key).
//
// All functions and const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tuidang::tlog {

inline constexpr uint8_t kSignatureTypeEd25519 = 0x01;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;
// The spec asks verifiers to accept at least 16 signatures and to cap them; 100 is what
// golang.org/x/mod accepts, room for many witnesses.
inline constexpr size_t kMaxNoteSignatures = 100;
// Bounds the work an untrusted note can cause; a checkpoint with 100 post-quantum
// cosignatures (about 5 KB each) still fits.
inline constexpr size_t kMaxNoteSize = 1 << 20;

using Ed25519PublicKey = std::array<uint8_t, kEd25519PublicKeySize>;
using Ed25519Seed = std::array<uint8_t, kEd25519SeedSize>;

// Non-empty, valid UTF-8, with no Unicode white space and no '+'.
bool IsValidKeyName(std::string_view name);

// Valid UTF-8 with no control character (below U+0020) other than newline: what every byte of
// a signed note must be.
bool IsNoteText(std::string_view text);

// sodium_init(): it picks implementations and seeds the random source; idempotent and
// thread-safe, so every entry point of tlog that reaches libsodium calls this first.
void EnsureSodium();

// The key ID of a key of `name` whose typed public key (type byte, then key) is `typed_key`.
uint32_t KeyId(std::string_view name, std::string_view typed_key);

inline constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 em dash, space
inline constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";

// A key's text form "<name>+<8 hex digits of key ID>+base64(type || key material)", split
// and checked for form only (the key ID against the key is the caller's to check), so that
// other signature types (tlog/cosignature.h) read their keys as these do.
struct KeyParts {
  std::string name;
  uint32_t key_id = 0;
  std::string typed_key;  // the type byte, then `key_size` bytes; secret for a signer key
};
// Fails on any other form, a type byte other than `type` or material not `key_size` long.
Result<KeyParts> SplitKey(std::string_view text, uint8_t type, size_t key_size);

// The signature line "— <name> base64(key ID || signature)", with its newline.
std::string SignatureLine(std::string_view name, uint32_t key_id, std::string_view signature);

class NoteVerifier {
 public:
  // Parses a verifier key. Fails on any other form, on a signature type other than Ed25519,
  // and on a key ID that does not match the name and key.
  static Result<NoteVerifier> Parse(std::string_view verifier_key);
  // Fails if `name` is not a valid key name.
  static Result<NoteVerifier> FromPublicKey(std::string_view name, const Ed25519PublicKey& key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const Ed25519PublicKey& public_key() const { return public_key_; }
  std::string VerifierKey() const;

  // True if `signature` is this key's Ed25519 signature of `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  Ed25519PublicKey public_key_{};
};

// Holds a secret key: move-only, and wiped when destroyed.
class NoteSigner {
 public:
  // Parses a signer key. Fails on any other form, on a signature type other than Ed25519,
  // and on a key ID that does not match the name and the public key the seed yields.
  static Result<NoteSigner> Parse(std::string_view signer_key);
  // A new key from the operating system's random source.
  static Result<NoteSigner> Generate(std::string_view name);
  static Result<NoteSigner> FromSeed(std::string_view name, const Ed25519Seed& seed);

  NoteSigner(NoteSigner&&) = default;
  NoteSigner& operator=(NoteSigner&&) = default;
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;
  ~NoteSigner();

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // The secret key as text, for the data folder; it grants signing power.
  std::string SignerKey() const;
  NoteVerifier Verifier() const;

  // The 64-byte Ed25519 signature of `message`.
  std::string Sign(std::string_view message) const;

 private:
  NoteSigner() = default;

  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 64> secret_key_{};  // libsodium's form: seed || public key
};

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string base64;  // base64(key ID || signature), as on the signature line
};

struct Note {
  std::string text;                       // ends with a newline; excludes the blank separator line
  std::vector<NoteSignature> verified;    // by known keys, checked
  std::vector<NoteSignature> unverified;  // by unknown keys: kept, never trusted
};

// Splits a signed note into text and signatures without checking any signature: all of them
// land in `unverified`. Fails if the note is larger than kMaxNoteSize, is not UTF-8, holds a
// control character other than newline, has no blank line before the signatures, has a
// malformed signature line, or more than kMaxNoteSignatures of them. The text must not be
// trusted until OpenNote succeeds.
Result<Note> ParseNote(std::string_view message);

// ParseNote, then verifies every signature whose name and key ID match a key in `known`;
// signatures of other keys go to `unverified`. Fails if a known key's signature does not
// verify, if two known keys share a name and ID, or if no known key signed the note.
Result<Note> OpenNote(std::string_view message, std::span<const NoteVerifier> known);

// Returns `text` signed by each of `signers`, in order. Fails if the text does not end in a
// newline, is not UTF-8 or holds a control character other than newline.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers);
Result<std::string> SignNote(std::string_view text, const NoteSigner& signer);

}  // namespace tuidang::tlog
