// Who a client is, for rate limits and flood detection, without knowing who they are: a
// keyed BLAKE2b hash of the client's address under a random key that lives in memory only
// and is replaced every hour. Nothing here is ever written to disk or to a log line; after a
// rotation yesterday's hashes cannot be linked to today's, nor to an address.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"

namespace tuidang::safety {

// 16 bytes of keyed hash; the epoch says under which hourly key it was made.
struct ClientKey {
  std::array<uint8_t, 16> hash{};
  int64_t epoch = 0;
  bool operator==(const ClientKey&) const = default;
};

// Seconds since the Unix epoch; tests replace it.
using Clock = std::function<int64_t()>;
Clock SystemClock();

// The hourly-rotated key. Thread-safe.
class KeyedHasher {
 public:
  // Why an hour: long enough for a burst to be seen as one, short enough that nothing links
  // one client's requests across a day.
  static constexpr int64_t kRotationSeconds = 3600;

  explicit KeyedHasher(Clock clock = SystemClock());
  ~KeyedHasher();  // wipes the key
  // Hash of `bytes` (an address in network byte order, or any identifier) under the current
  // key, domain-separated by `domain`. Rotates the key when the hour changed.
  ClientKey Hash(std::string_view domain, std::string_view bytes);
  int64_t CurrentEpoch();

 private:
  void RotateIfDue() REQUIRES(mu_);
  Clock clock_;
  Mutex mu_;
  std::array<uint8_t, 32> key_ GUARDED_BY(mu_) = {};
  int64_t epoch_ GUARDED_BY(mu_) = -1;
};

// How the server tells clients apart (tuidang.toml `client_key`).
enum class ClientKeyMode {
  kOff,      // every client alike (Tor onion service): proof of work and global limits only
  kAddress,  // the TCP peer's address (the server faces the clients directly)
  kProxy,    // behind trusted reverse proxies: their forwarding header, else the peer
  // The default. A peer in the trusted proxies (an explicit setting, never implied): as
  // kProxy. Any other loopback peer (the Tor daemon of an onion service, or anything else on
  // this machine) is not told apart, as with kOff, and its forwarding header is ignored: a
  // Tor client can write that header itself. Other peers: their address.
  kAuto,
};
std::optional<ClientKeyMode> ParseClientKeyMode(std::string_view s);

// An IPv4/IPv6 network "203.0.113.0/24", "::1", "127.0.0.1".
struct Network {
  std::array<uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d
  int prefix = 128;
  bool Contains(const std::array<uint8_t, 16>& addr) const;
};
// Parses an address or CIDR network; nullopt when invalid.
std::optional<Network> ParseNetwork(std::string_view text);
// Parses an address (IPv4 or IPv6 text) into 16 bytes; nullopt when invalid.
std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text);
// 127.0.0.0/8 or ::1 (16 bytes, IPv4 mapped): a process of this machine.
bool IsLoopback(const std::array<uint8_t, 16>& addr);

// What the server keeps about a connection's peer: its hash and whether it is one of our
// trusted proxies. The address itself is not kept.
struct PeerInfo {
  std::optional<ClientKey> key;
  bool trusted_proxy = false;
};

// Turns a connection's peer address and request headers into a ClientKey. Thread-safe.
class ClientIdentifier {
 public:
  // Called once per connection with the peer's address (16 bytes, IPv4 mapped).
  PeerInfo AtAccept(const std::array<uint8_t, 16>& peer) const;
  // The client of one request on that connection: in kProxy mode, from the forwarding
  // header when the peer is a trusted proxy; else the peer.
  std::optional<ClientKey> ForRequest(const PeerInfo& peer, std::string_view forwarded) const;

  ClientIdentifier(ClientKeyMode mode, std::vector<Network> trusted_proxies, std::string header,
                   KeyedHasher* hasher);
  // nullopt in mode kOff, and in kAuto for a loopback peer that is not a trusted proxy.
  // `peer` is the TCP peer address (16 bytes); `forwarded` the value of the configured
  // header (empty if absent). In kProxy and kAuto modes the header is believed only when the
  // peer is a trusted proxy; then the right-most address in it that is not itself a trusted
  // proxy is the client (a trusted peer without the header is keyed as itself). The inputs
  // are read, hashed and forgotten.
  std::optional<ClientKey> Identify(const std::array<uint8_t, 16>& peer,
                                    std::string_view forwarded) const;
  ClientKeyMode mode() const { return mode_; }
  const std::string& header() const { return header_; }

 private:
  bool Trusted(const std::array<uint8_t, 16>& a) const;
  // kProxy and kAuto: a trusted peer's forwarding header names the client.
  bool BelievesProxies() const {
    return mode_ == ClientKeyMode::kProxy || mode_ == ClientKeyMode::kAuto;
  }
  std::optional<ClientKey> IdentifyForwarded(std::string_view forwarded) const;
  ClientKeyMode mode_;
  std::vector<Network> trusted_;
  std::string header_;
  KeyedHasher* hasher_;
};

}  // namespace tuidang::safety
