// Flood detection: statements that look generated or repeated are held for moderation,
// never published unseen. Everything is counted in memory, under keyed hashes, per hour
// (the hashing key's life); nothing of it is written except the reason and the group a
// held statement is filed under, so that a moderator can reject a whole flood at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/mutex.h"
#include "core/statement.h"
#include "safety/client_key.h"

namespace tuidang::safety {

struct FloodOptions {
  // The same normalised text (at least kMinText characters) this many times within the
  // hour: the statement that reaches it and every later one are held. Genuine declarants
  // copy a few common sentences, so this is not 2.
  int64_t text_repeats = 5;
  // The same declarant name this many times within the hour (common names recur, a
  // generator's favourite recurs far more).
  int64_t name_repeats = 20;
  // Statements from one client key within the hour beyond which each is held (a family
  // declares in one statement; volunteers use the console).
  int64_t burst = 5;
};

struct FloodVerdict {
  bool hold = false;
  std::string reason;  // "generated_name", "duplicate_text", "repeated_name", "burst"
  std::string group;   // reason ":" 16 hex: what the moderation queue groups by
};

// Characters of normalised text below which texts are not compared (too short to mean
// anything but "I quit").
constexpr size_t kMinText = 12;

// The name looks machine-made: it contains digits (no Chinese name does; a pseudonym with
// digits is only held for review, never refused).
bool LooksGenerated(std::string_view name);
// Text folded for comparison: NFC, Simplified, case-folded, with spaces, punctuation,
// symbols and digits removed. REQUIRES: valid UTF-8.
std::string NormaliseForFlood(std::string_view text);

// Thread-safe.
class FloodDetector {
 public:
  FloodDetector(FloodOptions options, KeyedHasher* hasher);
  // Counts `s` and says whether to hold it. `client` is absent when clients are not told
  // apart (client_key = "off").
  FloodVerdict Assess(const Statement& s, const std::optional<ClientKey>& client);

 private:
  struct Key {
    std::array<uint8_t, 16> h;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t v;
      __builtin_memcpy(&v, k.h.data(), sizeof v);
      return v;
    }
  };
  int64_t Bump(const ClientKey& k) REQUIRES(mu_);

  FloodOptions options_;
  KeyedHasher* hasher_;
  Mutex mu_;
  int64_t epoch_ GUARDED_BY(mu_) = -1;
  std::unordered_map<Key, int64_t, KeyHash> counts_ GUARDED_BY(mu_);
  std::unordered_map<Key, std::string, KeyHash> burst_ids_ GUARDED_BY(mu_);
};

}  // namespace tuidang::safety
