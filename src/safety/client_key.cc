#include "safety/client_key.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstring>

#include <sodium.h>

namespace tuidang::safety {

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

KeyedHasher::KeyedHasher(Clock clock) : clock_(std::move(clock)) {}

KeyedHasher::~KeyedHasher() { sodium_memzero(key_.data(), key_.size()); }

void KeyedHasher::RotateIfDue() {
  int64_t epoch = clock_() / kRotationSeconds;
  if (epoch == epoch_) return;
  randombytes_buf(key_.data(), key_.size());
  epoch_ = epoch;
}

int64_t KeyedHasher::CurrentEpoch() {
  MutexLock lock(&mu_);
  RotateIfDue();
  return epoch_;
}

ClientKey KeyedHasher::Hash(std::string_view domain, std::string_view bytes) {
  ClientKey out;
  crypto_generichash_state st;
  {
    MutexLock lock(&mu_);
    RotateIfDue();
    out.epoch = epoch_;
    crypto_generichash_init(&st, key_.data(), key_.size(), out.hash.size());
  }
  uint8_t len = static_cast<uint8_t>(domain.size());
  crypto_generichash_update(&st, &len, 1);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(domain.data()), domain.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  crypto_generichash_final(&st, out.hash.data(), out.hash.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

std::optional<ClientKeyMode> ParseClientKeyMode(std::string_view s) {
  if (s == "off") return ClientKeyMode::kOff;
  if (s == "address") return ClientKeyMode::kAddress;
  if (s == "proxy") return ClientKeyMode::kProxy;
  if (s == "auto") return ClientKeyMode::kAuto;
  return std::nullopt;
}

std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text) {
  std::array<uint8_t, 16> out{};
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<Network> ParseNetwork(std::string_view text) {
  Network n;
  std::string_view addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    prefix = std::stoi(std::string(p));
  }
  auto a = ParseAddress(addr);
  if (!a) return std::nullopt;
  bool v4 = addr.find(':') == std::string_view::npos;
  if (prefix < 0) prefix = v4 ? 32 : 128;
  if (prefix > (v4 ? 32 : 128)) return std::nullopt;
  n.bytes = *a;
  n.prefix = v4 ? prefix + 96 : prefix;
  return n;
}

bool Network::Contains(const std::array<uint8_t, 16>& addr) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (bytes[i] & mask)) return false;
  }
  return true;
}

ClientIdentifier::ClientIdentifier(ClientKeyMode mode, std::vector<Network> trusted_proxies,
                                   std::string header, KeyedHasher* hasher)
    : mode_(mode),
      trusted_(std::move(trusted_proxies)),
      header_(std::move(header)),
      hasher_(hasher) {}

bool ClientIdentifier::Trusted(const std::array<uint8_t, 16>& a) const {
  for (const auto& n : trusted_) {
    if (n.Contains(a)) return true;
  }
  return false;
}

bool IsLoopback(const std::array<uint8_t, 16>& a) {
  static const Network kLoopback4 = *ParseNetwork("127.0.0.0/8");
  static const Network kLoopback6 = *ParseNetwork("::1");
  return kLoopback4.Contains(a) || kLoopback6.Contains(a);
}

std::optional<ClientKey> ClientIdentifier::Identify(const std::array<uint8_t, 16>& peer,
                                                    std::string_view forwarded) const {
  if (mode_ == ClientKeyMode::kOff) return std::nullopt;
  if (BelievesProxies() && Trusted(peer)) {
    if (!forwarded.empty()) return IdentifyForwarded(forwarded);
  } else if (mode_ == ClientKeyMode::kAuto && IsLoopback(peer)) {
    // The Tor daemon (or any process of this machine not named a proxy): its clients
    // cannot be told apart, and whatever header they send is theirs, not a proxy's.
    return std::nullopt;
  }
  std::array<uint8_t, 16> client = peer;
  ClientKey key = hasher_->Hash(
      "client", std::string_view(reinterpret_cast<const char*>(client.data()), client.size()));
  sodium_memzero(client.data(), client.size());
  return key;
}

std::optional<ClientKey> ClientIdentifier::IdentifyForwarded(std::string_view forwarded) const {
  std::array<uint8_t, 16> client{};
  {
    // "client, proxy1, proxy2": walk from the right past our own proxies. Anything left of
    // the first untrusted hop was written by the client and is not believed.
    std::string_view rest = forwarded;
    while (!rest.empty()) {
      size_t comma = rest.rfind(',');
      std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      auto a = ParseAddress(item);
      if (!a) {
        // Unparseable hop: hash its text so that one forger is still one client.
        return hasher_->Hash("client-text", item);
      }
      client = *a;
      if (!Trusted(client)) break;
    }
  }
  ClientKey key = hasher_->Hash(
      "client", std::string_view(reinterpret_cast<const char*>(client.data()), client.size()));
  sodium_memzero(client.data(), client.size());
  return key;
}

PeerInfo ClientIdentifier::AtAccept(const std::array<uint8_t, 16>& peer) const {
  PeerInfo info;
  if (mode_ == ClientKeyMode::kOff) return info;
  info.trusted_proxy = BelievesProxies() && Trusted(peer);
  info.key = Identify(peer, "");
  return info;
}

std::optional<ClientKey> ClientIdentifier::ForRequest(const PeerInfo& peer,
                                                      std::string_view forwarded) const {
  if (mode_ == ClientKeyMode::kOff) return std::nullopt;
  if (!peer.trusted_proxy || forwarded.empty()) return peer.key;
  // The peer is trusted: the forwarded chain decides. When every hop in it is ours, the
  // left-most one is the client.
  return IdentifyForwarded(forwarded);
}

}  // namespace tuidang::safety
