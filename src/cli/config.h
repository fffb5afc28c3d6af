// The configuration: `tuidang.toml` in the data folder, created with the defaults on first
// start; command-line flags override it.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace tuidang {

struct Config {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT
  int threads = 2;                        // HTTP threads
  int64_t max_connections = 2000;         // beyond it new connections get 503 and are closed
  int64_t queue_limit = 20000;            // statements waiting for the writer; then 503
  int64_t max_batch = 4096;               // statements per transaction at most
  std::string publish_policy = "publish";  // "publish" at once, or "hold" for moderation
  int64_t request_timeout_seconds = 10;   // a request must arrive within this
  std::string public_url = "http://127.0.0.1:8080";
  std::string log_origin;                 // empty: host[:port] of public_url + "/log"
  int64_t checkpoint_interval_ms = 1000;  // how soon a new leaf is in a signed checkpoint

  // log_origin, or its default derived from public_url.
  std::string LogOrigin() const;
};

// Reads `path`; a missing key keeps its default, an unknown key or a wrong type is an error.
Result<Config> LoadConfig(const std::string& path);
// The file written on first start: every key with its default and a comment.
std::string DefaultConfigText();
// Splits "HOST:PORT" ("[::1]:8080" for IPv6).
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port);

}  // namespace tuidang
