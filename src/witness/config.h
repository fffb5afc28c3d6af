// The witness's configuration (a TOML file, by default <data>/witness.toml) and its key
// (<data>/witness.key, mode 0600). docs/witness.md describes both:
//
//   name = "witness.example.org/w1"    # the witness's key name (required)
//   listen = "127.0.0.1:8090"          # optional; --listen overrides
//   threads = 2                        # optional
//
//   [[log]]
//   origin = "center.example.org/log"
//   key = "center.example.org/log+1a2b3c4d+AU..."   # the log's vkey (or keys = [...])
//   poll = "https://center.example.org/log"         # optional: poll it (poller.h)
//   poll_interval_seconds = 60                      # optional, with poll
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "tlog/cosignature.h"
#include "witness/poller.h"
#include "witness/witness.h"

namespace tuidang::witness {

inline constexpr std::string_view kDefaultWitnessListen = "127.0.0.1:8090";

struct WitnessConfig {
  std::string name;
  std::string listen = std::string(kDefaultWitnessListen);
  int threads = 2;
  std::vector<WitnessedLog> logs;
  std::vector<PolledLog> polled;  // the [[log]]s with `poll`, in order
};

// Reads and checks the file at `path`. Fails, naming the file and the setting, on a TOML
// error, an unknown setting, a missing or invalid name, no [[log]], a log without an origin
// or key, a key that is not an Ed25519 note vkey, an origin listed twice, a `poll` that is
// not an http(s) URL, or a poll interval out of range.
Result<WitnessConfig> LoadWitnessConfig(const std::string& path);

// The witness key in the file at `path` (one line, "PRIVATE+KEY+<name>+..." of type 0x04).
// When the file is missing and `create` is set, makes a new key named `name` and writes it
// (mode 0600, synced) first. Fails when the file cannot be read or written, is readable by
// others, does not hold a witness key, or holds one named other than `name`.
Result<tlog::Cosigner> LoadWitnessKey(const std::string& path, const std::string& name,
                                      bool create);

}  // namespace tuidang::witness
