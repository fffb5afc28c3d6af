#include "web/ops_session.h"

#include <sodium.h>

namespace tuidang::web {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string AccountFingerprint(const Operator& op) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, crypto_generichash_BYTES);
  // Length-prefixed fields, so that no two accounts hash alike by moving bytes across.
  auto add = [&](std::string_view field) {
    uint64_t n = field.size();
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(field.data()),
                              field.size());
  };
  char role = static_cast<char>(op.role);
  add(std::string_view(&role, 1));
  add(op.password_hash);
  add(op.totp_secret);
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

std::string SessionTable::Create(const Operator& op) {
  std::string id = RandomHex(32);
  MutexLock lock(&mu_);
  // Sessions idle past the timeout are dropped whenever a new one starts.
  auto now = Clock::now();
  std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.last_used > idle_; });
  sessions_[id] =
      Entry{OpsSession{op.id, op.name, op.role, RandomHex(32), AccountFingerprint(op)}, now};
  return id;
}

std::optional<OpsSession> SessionTable::Find(const std::string& id) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto now = Clock::now();
  if (now - it->second.last_used > idle_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.session;
}

void SessionTable::Remove(const std::string& id) {
  MutexLock lock(&mu_);
  sessions_.erase(id);
}

}  // namespace tuidang::web
