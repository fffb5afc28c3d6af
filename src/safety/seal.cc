#include "safety/seal.h"

#include <memory>
#include <vector>

#include <sodium.h>

namespace tuidang::safety {

namespace {

constexpr std::string_view kPublicPrefix = "tuidang-office-public-v1:";
constexpr std::string_view kSecretPrefix = "tuidang-office-secret-v1:";

std::string Base64(const uint8_t* p, size_t n) {
  std::vector<char> buf(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL));
  sodium_bin2base64(buf.data(), buf.size(), p, n, sodium_base64_VARIANT_ORIGINAL);
  return std::string(buf.data());
}

bool Unbase64(std::string_view text, uint8_t* out, size_t n) {
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out, n, text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  return len == n && end == text.data() + text.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

std::string OfficePublicKey::Text() const {
  return std::string(kPublicPrefix) + Base64(bytes.data(), bytes.size());
}

Result<OfficePublicKey> ParseOfficePublicKey(std::string_view text) {
  text = Trim(text);
  if (!text.starts_with(kPublicPrefix)) {
    return Error{"not an office public key (it starts with " + std::string(kPublicPrefix) + ")"};
  }
  OfficePublicKey k;
  if (!Unbase64(text.substr(kPublicPrefix.size()), k.bytes.data(), k.bytes.size())) {
    return Error{"damaged office public key"};
  }
  return k;
}

Result<OfficeSecretKey> OfficeSecretKey::Generate() {
  OfficeSecretKey k;
  k.sk_ = static_cast<uint8_t*>(sodium_malloc(crypto_box_SECRETKEYBYTES));
  if (!k.sk_) return Error{"cannot allocate secure memory"};
  crypto_box_keypair(k.pk_.bytes.data(), k.sk_);
  return k;
}

Result<OfficeSecretKey> OfficeSecretKey::Parse(std::string_view text) {
  text = Trim(text);
  if (!text.starts_with(kSecretPrefix)) {
    return Error{"not an office secret key (it starts with " + std::string(kSecretPrefix) + ")"};
  }
  OfficeSecretKey k;
  k.sk_ = static_cast<uint8_t*>(sodium_malloc(crypto_box_SECRETKEYBYTES));
  if (!k.sk_) return Error{"cannot allocate secure memory"};
  if (!Unbase64(text.substr(kSecretPrefix.size()), k.sk_, crypto_box_SECRETKEYBYTES)) {
    return Error{"damaged office secret key"};
  }
  crypto_scalarmult_base(k.pk_.bytes.data(), k.sk_);
  return k;
}

OfficeSecretKey::OfficeSecretKey(OfficeSecretKey&& o) noexcept : sk_(o.sk_), pk_(o.pk_) {
  o.sk_ = nullptr;
}

OfficeSecretKey::~OfficeSecretKey() {
  if (sk_) sodium_free(sk_);  // wipes before freeing
}

std::string OfficeSecretKey::Text() const {
  return std::string(kSecretPrefix) + Base64(sk_, crypto_box_SECRETKEYBYTES);
}

Result<std::string> OfficeSecretKey::Open(std::string_view box) const {
  if (box.size() < crypto_box_SEALBYTES) return Error{"sealed box too short"};
  std::string out(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<uint8_t*>(out.data()),
                           reinterpret_cast<const uint8_t*>(box.data()), box.size(),
                           pk_.bytes.data(), sk_) != 0) {
    return Error{"cannot open: sealed to another key, or damaged"};
  }
  return out;
}

std::string Seal(const OfficePublicKey& key, std::string_view plaintext) {
  std::string box(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<uint8_t*>(box.data()),
                  reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
                  key.bytes.data());
  return box;
}

SessionKeyring::Entry* SessionKeyring::Find(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return nullptr;
  auto now = Clock::now() + skew_;
  if (now - it->second.last_use > idle_) {
    sessions_.erase(it);  // timed out: the key is wiped with its entry
    return nullptr;
  }
  it->second.last_use = now;
  return &it->second;
}

Status SessionKeyring::Unlock(const std::string& session, std::string_view secret_text,
                              const OfficePublicKey& expected) {
  auto key = OfficeSecretKey::Parse(secret_text);
  if (!key) return Status::Fail(key.error());
  if (sodium_memcmp(key->Public().bytes.data(), expected.bytes.data(), 32) != 0) {
    return Status::Fail("this is not the secret half of the configured office key");
  }
  MutexLock lock(&mu_);
  // Keys of sessions that went idle are wiped now, not only when their session returns.
  auto now = Clock::now() + skew_;
  std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.last_use > idle_; });
  sessions_[session] = Entry{std::make_unique<OfficeSecretKey>(std::move(*key)), now};
  return Status::Ok();
}

Result<std::string> SessionKeyring::Open(const std::string& session, std::string_view box) {
  MutexLock lock(&mu_);
  Entry* e = Find(session);
  if (!e) return Error{"locked"};
  return e->key->Open(box);
}

void SessionKeyring::Lock(const std::string& session) {
  MutexLock lock(&mu_);
  sessions_.erase(session);
}

bool SessionKeyring::Unlocked(const std::string& session) {
  MutexLock lock(&mu_);
  return Find(session) != nullptr;
}

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tuidang::safety
