// The server's connection slots (docs/deploy-safety.md, "Connections and slow clients"):
// how many connections are open, how many each client holds, and which of them are waiting
// on their client (for a request, or for it to read an answer) in the order they began to
// wait. Slow clients may hold at most `max_connections - reserve` slots between them: past
// that, the connection that has waited longest gives up its slot to the newcomer, so a flood
// of slow connections cannot keep a client whose request arrives at once from being served.
// A connection the application is working on (its request read) is never evicted.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "safety/client_key.h"

namespace tuidang::web {

// What a connection offers the table: a way to end it from another thread.
class Evictable {
 public:
  virtual ~Evictable() = default;
  // Ends the connection soon (posts the close to its own strand). Called from any thread,
  // never under the table's lock.
  virtual void Evict() = 0;
};

// Thread-safe.
class ConnectionSlots {
 public:
  struct Options {
    size_t max_connections = 2000;  // open connections at most (file descriptors)
    size_t per_client = 0;          // per client key at most; 0 = no cap
    size_t reserve = 0;             // slots that connections waiting on a client never take
  };
  using Id = uint64_t;  // 0: none
  struct Opened {
    Id id = 0;  // 0: refused (the client holds per_client, or every slot is busy)
    // Connections that must end now to make room; the caller calls Evict() on each.
    std::vector<std::shared_ptr<Evictable>> evict;
  };

  explicit ConnectionSlots(Options options) : options_(options) {}

  // A new connection, waiting for its first request. `client`: the peer's keyed hash when
  // its connections are capped (nullopt: clients not told apart, or a trusted proxy). The
  // table keeps `conn` weakly.
  Opened Open(const std::optional<safety::ClientKey>& client, std::weak_ptr<Evictable> conn);
  // The connection waits on its client again (the next request, or the client reading the
  // answer). Returns the connections to evict to keep the waiting ones within their share;
  // empty when `id` was itself evicted meanwhile.
  std::vector<std::shared_ptr<Evictable>> Waiting(Id id);
  // The application works on the connection's request: it cannot be evicted until Waiting.
  // Returns false when it was evicted meanwhile.
  bool Busy(Id id);
  // The connection ended (or was evicted): frees its slot. Idempotent.
  void Close(Id id);

  size_t open();
  size_t waiting();

 private:
  struct Entry {
    std::weak_ptr<Evictable> conn;
    std::optional<std::array<uint8_t, 16>> client;
    bool waiting = false;
    std::list<Id>::iterator in_queue;  // valid while waiting
  };
  // Ends waiting connections, oldest first, until the waiting ones are within
  // max_connections - reserve (or `extra` more fit), into *out.
  void EvictOverShare(size_t extra, std::vector<std::shared_ptr<Evictable>>* out) REQUIRES(mu_);
  // Frees the entry's slot; with `evicted`, adds its connection (when it still exists) to be
  // evicted.
  void Remove(std::unordered_map<Id, Entry>::iterator it,
              std::vector<std::shared_ptr<Evictable>>* evicted) REQUIRES(mu_);

  struct Hash {
    size_t operator()(const std::array<uint8_t, 16>& a) const {
      size_t h;
      __builtin_memcpy(&h, a.data(), sizeof h);
      return h;
    }
  };

  const Options options_;
  Mutex mu_;
  Id next_id_ GUARDED_BY(mu_) = 1;
  std::unordered_map<Id, Entry> entries_ GUARDED_BY(mu_);
  std::list<Id> waiting_ GUARDED_BY(mu_);  // oldest first
  std::unordered_map<std::array<uint8_t, 16>, size_t, Hash> per_client_ GUARDED_BY(mu_);
};

}  // namespace tuidang::web
