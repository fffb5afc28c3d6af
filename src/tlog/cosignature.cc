#include "tlog/cosignature.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <utility>

#include "tlog/hash.h"

namespace tuidang::tlog {

namespace {

std::string CosignerTypedKey(const Ed25519PublicKey& key) {
  std::string typed(1, static_cast<char>(kSignatureTypeCosignatureV1));
  typed.append(reinterpret_cast<const char*>(key.data()), key.size());
  return typed;
}

void PutBigEndian64(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (56 - 8 * i));
}

uint64_t GetBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = value << 8 | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  return value;
}

}  // namespace

std::string CosignatureV1Message(std::string_view checkpoint_text, uint64_t timestamp) {
  std::string message = fmt::format("cosignature/v1\ntime {}\n", timestamp);
  message.append(checkpoint_text);
  return message;
}

Result<CosignatureVerifier> CosignatureVerifier::Parse(std::string_view verifier_key) {
  Result<KeyParts> parts =
      SplitKey(verifier_key, kSignatureTypeCosignatureV1, kEd25519PublicKeySize);
  if (!parts) return Error{"cosigner verifier " + parts.error()};
  if (KeyId(parts->name, parts->typed_key) != parts->key_id) {
    return Error{"cosigner verifier key: key ID does not match"};
  }
  CosignatureVerifier verifier;
  verifier.name_ = std::move(parts->name);
  verifier.key_id_ = parts->key_id;
  std::memcpy(verifier.public_key_.data(), parts->typed_key.data() + 1, kEd25519PublicKeySize);
  return verifier;
}

Result<CosignatureVerifier> CosignatureVerifier::FromPublicKey(std::string_view name,
                                                               const Ed25519PublicKey& key) {
  if (!IsValidKeyName(name)) return Error{"cosigner verifier key: bad name"};
  CosignatureVerifier verifier;
  verifier.name_ = std::string(name);
  verifier.key_id_ = KeyId(name, CosignerTypedKey(key));
  verifier.public_key_ = key;
  return verifier;
}

std::string CosignatureVerifier::VerifierKey() const {
  return fmt::format("{}+{:08x}+{}", name_, key_id_, Base64Encode(CosignerTypedKey(public_key_)));
}

Result<uint64_t> CosignatureVerifier::Verify(std::string_view checkpoint_text,
                                             std::string_view signature) const {
  if (signature.size() != kCosignatureV1Size) return Error{"cosignature: wrong size"};
  const uint64_t timestamp = GetBigEndian64(signature);
  if (timestamp > kMaxCosignatureTimestamp) return Error{"cosignature: timestamp out of range"};
  const std::string message = CosignatureV1Message(checkpoint_text, timestamp);
  EnsureSodium();
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data() + 8),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), public_key_.data()) != 0) {
    return Error{"cosignature: does not verify"};
  }
  return timestamp;
}

Result<uint64_t> CosignatureVerifier::VerifyNote(const Note& note) const {
  for (const auto* list : {&note.verified, &note.unverified}) {
    for (const NoteSignature& signature : *list) {
      if (signature.name != name_ || signature.key_id != key_id_) continue;
      Result<std::string> raw = Base64Decode(signature.base64);
      if (!raw || raw->size() < 4) return Error{"cosignature: malformed"};
      return Verify(note.text, std::string_view(*raw).substr(4));
    }
  }
  return Error{fmt::format("cosignature: none by {}+{:08x}", name_, key_id_)};
}

Result<Cosigner> Cosigner::Parse(std::string_view signer_key) {
  if (!signer_key.starts_with(kSignerKeyPrefix)) return Error{"cosigner key: malformed"};
  Result<KeyParts> parts = SplitKey(signer_key.substr(kSignerKeyPrefix.size()),
                                    kSignatureTypeCosignatureV1, kEd25519SeedSize);
  if (!parts) return Error{"cosigner " + parts.error()};
  Ed25519Seed seed;
  std::memcpy(seed.data(), parts->typed_key.data() + 1, seed.size());
  sodium_memzero(parts->typed_key.data(), parts->typed_key.size());
  Result<Cosigner> cosigner = FromSeed(parts->name, seed);
  sodium_memzero(seed.data(), seed.size());
  if (cosigner && cosigner->key_id_ != parts->key_id) {
    return Error{"cosigner key: key ID does not match"};
  }
  return cosigner;
}

Result<Cosigner> Cosigner::Generate(std::string_view name) {
  EnsureSodium();
  Ed25519Seed seed;
  randombytes_buf(seed.data(), seed.size());
  Result<Cosigner> cosigner = FromSeed(name, seed);
  sodium_memzero(seed.data(), seed.size());
  return cosigner;
}

Result<Cosigner> Cosigner::FromSeed(std::string_view name, const Ed25519Seed& seed) {
  if (!IsValidKeyName(name)) return Error{"cosigner key: bad name"};
  EnsureSodium();
  Cosigner cosigner;
  Ed25519PublicKey public_key;
  crypto_sign_seed_keypair(public_key.data(), cosigner.secret_key_.data(), seed.data());
  cosigner.name_ = std::string(name);
  cosigner.key_id_ = KeyId(name, CosignerTypedKey(public_key));
  return cosigner;
}

Cosigner::~Cosigner() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::string Cosigner::SignerKey() const {
  std::string typed(1, static_cast<char>(kSignatureTypeCosignatureV1));
  typed.append(reinterpret_cast<const char*>(secret_key_.data()), kEd25519SeedSize);
  std::string key =
      fmt::format("{}{}+{:08x}+{}", kSignerKeyPrefix, name_, key_id_, Base64Encode(typed));
  sodium_memzero(typed.data(), typed.size());
  return key;
}

CosignatureVerifier Cosigner::Verifier() const {
  Ed25519PublicKey public_key;
  std::memcpy(public_key.data(), secret_key_.data() + kEd25519SeedSize, public_key.size());
  return *CosignatureVerifier::FromPublicKey(name_, public_key);  // name_ was checked
}

Result<std::string> Cosigner::Cosign(std::string_view checkpoint_text, uint64_t timestamp) const {
  if (!checkpoint_text.ends_with('\n')) return Error{"cosign: text does not end in a newline"};
  if (!IsNoteText(checkpoint_text)) return Error{"cosign: not note text"};
  if (timestamp == 0 || timestamp > kMaxCosignatureTimestamp) {
    return Error{"cosign: timestamp out of range"};
  }
  const std::string message = CosignatureV1Message(checkpoint_text, timestamp);
  std::string signature(kCosignatureV1Size, '\0');
  PutBigEndian64(timestamp, signature.data());
  EnsureSodium();
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data() + 8), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return SignatureLine(name_, key_id_, signature);
}

Result<std::string> AddSignatureLines(std::string_view signed_note,
                                      std::string_view signature_lines) {
  if (Result<Note> note = ParseNote(signed_note); !note) return Error{note.error()};
  if (!signature_lines.empty() && !signature_lines.ends_with('\n')) {
    return Error{"note: signature line without its newline"};
  }
  for (std::string_view rest = signature_lines; !rest.empty();) {
    const std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(line.size() + 1);
    if (!line.starts_with(kSignaturePrefix)) return Error{"note: not a signature line"};
  }
  std::string joined(signed_note);
  joined.append(signature_lines);
  // The whole note again: each line's name and base64, and the size and count limits.
  if (Result<Note> note = ParseNote(joined); !note) return Error{note.error()};
  return joined;
}

}  // namespace tuidang::tlog
