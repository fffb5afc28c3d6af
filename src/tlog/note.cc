#include "tlog/note.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <set>
#include <utility>

#include "tlog/hash.h"

namespace tuidang::tlog {

void EnsureSodium() { [[maybe_unused]] static const int kInit = sodium_init(); }

namespace {

// Decodes the UTF-8 sequence at s[*pos], advancing *pos. Returns -1 on an invalid sequence:
// truncated, overlong, a surrogate, or beyond U+10FFFF.
int32_t DecodeRune(std::string_view s, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(*pos);
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  }
  int length;
  int32_t rune, min;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, rune = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, rune = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, rune = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (s.size() - *pos < static_cast<size_t>(length)) return -1;
  for (int i = 1; i < length; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return -1;
    rune = rune << 6 | (b & 0x3F);
  }
  if (rune < min || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) return -1;
  *pos += length;
  return rune;
}

// Unicode White_Space, as Go's unicode.IsSpace (which golang.org/x/mod uses on key names).
bool IsSpace(int32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return r >= 0x2000 && r <= 0x200A;
  }
}

std::string TypedKey(const Ed25519PublicKey& key) {
  std::string typed(1, static_cast<char>(kSignatureTypeEd25519));
  typed.append(reinterpret_cast<const char*>(key.data()), key.size());
  return typed;
}

// Parses the 8 lowercase hex digits of a key ID.
bool ParseKeyId(std::string_view hex, uint32_t* id) {
  if (hex.size() != 8) return false;
  uint32_t value = 0;
  for (char c : hex) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else return false;
    value = value << 4 | static_cast<uint32_t>(digit);
  }
  *id = value;
  return true;
}

}  // namespace

Result<KeyParts> SplitKey(std::string_view text, uint8_t type, size_t key_size) {
  const size_t plus1 = text.find('+');
  if (plus1 == std::string_view::npos) return Error{"key: malformed"};
  const size_t plus2 = text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) return Error{"key: malformed"};
  KeyParts parts;
  parts.name = std::string(text.substr(0, plus1));
  if (!IsValidKeyName(parts.name)) return Error{"key: bad name"};
  if (!ParseKeyId(text.substr(plus1 + 1, plus2 - plus1 - 1), &parts.key_id)) {
    return Error{"key: bad key ID"};
  }
  Result<std::string> typed = Base64Decode(text.substr(plus2 + 1));
  if (!typed || typed->empty()) return Error{"key: bad key encoding"};
  if (static_cast<uint8_t>((*typed)[0]) != type) return Error{"key: unknown signature type"};
  if (typed->size() != 1 + key_size) return Error{"key: bad key size"};
  parts.typed_key = std::move(*typed);
  return parts;
}

std::string SignatureLine(std::string_view name, uint32_t key_id, std::string_view signature) {
  std::string raw(4, '\0');
  for (int i = 0; i < 4; ++i)
    raw[static_cast<size_t>(i)] = static_cast<char>(key_id >> (24 - 8 * i));
  raw.append(signature);
  return fmt::format("{}{} {}\n", kSignaturePrefix, name, Base64Encode(raw));
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t pos = 0; pos < name.size();) {
    const int32_t r = DecodeRune(name, &pos);
    if (r < 0 || r == '+' || IsSpace(r)) return false;
  }
  return true;
}

bool IsNoteText(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const int32_t r = DecodeRune(text, &pos);
    if (r < 0 || (r < 0x20 && r != '\n')) return false;
  }
  return true;
}

uint32_t KeyId(std::string_view name, std::string_view typed_key) {
  std::string input(name);
  input.push_back('\n');
  input.append(typed_key);
  const Hash hash = Sha256(input);
  return uint32_t{hash[0]} << 24 | uint32_t{hash[1]} << 16 | uint32_t{hash[2]} << 8 | hash[3];
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view verifier_key) {
  Result<KeyParts> parts = SplitKey(verifier_key, kSignatureTypeEd25519, kEd25519PublicKeySize);
  if (!parts) return Error{"verifier " + parts.error()};
  if (KeyId(parts->name, parts->typed_key) != parts->key_id) {
    return Error{"verifier key: key ID does not match"};
  }
  NoteVerifier verifier;
  verifier.name_ = std::string(parts->name);
  verifier.key_id_ = parts->key_id;
  std::memcpy(verifier.public_key_.data(), parts->typed_key.data() + 1, kEd25519PublicKeySize);
  return verifier;
}

Result<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view name,
                                                 const Ed25519PublicKey& key) {
  if (!IsValidKeyName(name)) return Error{"verifier key: bad name"};
  NoteVerifier verifier;
  verifier.name_ = std::string(name);
  verifier.key_id_ = KeyId(name, TypedKey(key));
  verifier.public_key_ = key;
  return verifier;
}

std::string NoteVerifier::VerifierKey() const {
  return fmt::format("{}+{:08x}+{}", name_, key_id_, Base64Encode(TypedKey(public_key_)));
}

bool NoteVerifier::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kEd25519SignatureSize) return false;
  EnsureSodium();
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key_.data()) == 0;
}

Result<NoteSigner> NoteSigner::Parse(std::string_view signer_key) {
  if (!signer_key.starts_with(kSignerKeyPrefix)) return Error{"signer key: malformed"};
  Result<KeyParts> parts =
      SplitKey(signer_key.substr(kSignerKeyPrefix.size()), kSignatureTypeEd25519, kEd25519SeedSize);
  if (!parts) return Error{"signer " + parts.error()};
  Ed25519Seed seed;
  std::memcpy(seed.data(), parts->typed_key.data() + 1, seed.size());
  sodium_memzero(parts->typed_key.data(), parts->typed_key.size());
  Result<NoteSigner> signer = FromSeed(parts->name, seed);
  sodium_memzero(seed.data(), seed.size());
  if (signer && signer->key_id_ != parts->key_id) {
    return Error{"signer key: key ID does not match"};
  }
  return signer;
}

Result<NoteSigner> NoteSigner::Generate(std::string_view name) {
  EnsureSodium();
  Ed25519Seed seed;
  randombytes_buf(seed.data(), seed.size());
  Result<NoteSigner> signer = FromSeed(name, seed);
  sodium_memzero(seed.data(), seed.size());
  return signer;
}

Result<NoteSigner> NoteSigner::FromSeed(std::string_view name, const Ed25519Seed& seed) {
  if (!IsValidKeyName(name)) return Error{"signer key: bad name"};
  EnsureSodium();
  NoteSigner signer;
  Ed25519PublicKey public_key;
  crypto_sign_seed_keypair(public_key.data(), signer.secret_key_.data(), seed.data());
  signer.name_ = std::string(name);
  signer.key_id_ = KeyId(name, TypedKey(public_key));
  return signer;
}

NoteSigner::~NoteSigner() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::string NoteSigner::SignerKey() const {
  std::string typed(1, static_cast<char>(kSignatureTypeEd25519));
  typed.append(reinterpret_cast<const char*>(secret_key_.data()), kEd25519SeedSize);
  std::string key =
      fmt::format("{}{}+{:08x}+{}", kSignerKeyPrefix, name_, key_id_, Base64Encode(typed));
  sodium_memzero(typed.data(), typed.size());
  return key;
}

NoteVerifier NoteSigner::Verifier() const {
  Ed25519PublicKey public_key;
  std::memcpy(public_key.data(), secret_key_.data() + kEd25519SeedSize, public_key.size());
  return *NoteVerifier::FromPublicKey(name_, public_key);  // name_ was checked
}

std::string NoteSigner::Sign(std::string_view message) const {
  EnsureSodium();
  std::string signature(kEd25519SignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return signature;
}

Result<Note> ParseNote(std::string_view message) {
  if (message.size() > kMaxNoteSize) return Error{"note: too large"};
  if (!IsNoteText(message)) return Error{"note: not UTF-8 text without control characters"};
  const size_t split = message.rfind("\n\n");
  if (split == std::string_view::npos) return Error{"note: no blank line before signatures"};
  Note note;
  note.text = std::string(message.substr(0, split + 1));
  std::string_view lines = message.substr(split + 2);
  if (lines.empty() || !lines.ends_with('\n')) return Error{"note: no signatures"};
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 1);
    if (note.unverified.size() == kMaxNoteSignatures) return Error{"note: too many signatures"};
    if (!line.starts_with(kSignaturePrefix)) return Error{"note: malformed signature line"};
    line.remove_prefix(kSignaturePrefix.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return Error{"note: malformed signature line"};
    NoteSignature signature;
    signature.name = std::string(line.substr(0, space));
    signature.base64 = std::string(line.substr(space + 1));
    Result<std::string> raw = Base64Decode(signature.base64);
    if (!IsValidKeyName(signature.name) || !raw || raw->size() < 5) {
      return Error{"note: malformed signature line"};
    }
    for (int i = 0; i < 4; ++i) {
      signature.key_id =
          signature.key_id << 8 | static_cast<uint8_t>((*raw)[static_cast<size_t>(i)]);
    }
    note.unverified.push_back(std::move(signature));
  }
  return note;
}

Result<Note> OpenNote(std::string_view message, std::span<const NoteVerifier> known) {
  Result<Note> parsed = ParseNote(message);
  if (!parsed) return parsed;
  Note note;
  note.text = std::move(parsed->text);
  std::set<std::pair<std::string, uint32_t>> seen_verified;
  std::set<std::string> seen_unverified;  // name + " " + base64: a repeated line
  for (NoteSignature& signature : parsed->unverified) {
    const NoteVerifier* verifier = nullptr;
    for (const NoteVerifier& candidate : known) {
      if (candidate.name() != signature.name || candidate.key_id() != signature.key_id) continue;
      if (verifier != nullptr) {
        return Error{
            fmt::format("note: ambiguous key {}+{:08x}", signature.name, signature.key_id)};
      }
      verifier = &candidate;
    }
    if (verifier == nullptr) {
      if (seen_unverified.insert(signature.name + " " + signature.base64).second) {
        note.unverified.push_back(std::move(signature));
      }
      continue;
    }
    if (!seen_verified.emplace(signature.name, signature.key_id).second) continue;
    const std::string raw = *Base64Decode(signature.base64);  // ParseNote checked it
    if (!verifier->Verify(note.text, std::string_view(raw).substr(4))) {
      return Error{
          fmt::format("note: invalid signature by {}+{:08x}", signature.name, signature.key_id)};
    }
    note.verified.push_back(std::move(signature));
  }
  if (note.verified.empty()) return Error{"note: no signature by a known key"};
  return note;
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  if (!text.ends_with('\n')) return Error{"note: text does not end in a newline"};
  if (!IsNoteText(text)) return Error{"note: not UTF-8 text without control characters"};
  if (signers.empty()) return Error{"note: no signer"};
  std::string note(text);
  note.push_back('\n');
  for (const NoteSigner* signer : signers) {
    note += SignatureLine(signer->name(), signer->key_id(), signer->Sign(text));
  }
  return note;
}

Result<std::string> SignNote(std::string_view text, const NoteSigner& signer) {
  const NoteSigner* signers[] = {&signer};
  return SignNote(text, signers);
}

}  // namespace tuidang::tlog
