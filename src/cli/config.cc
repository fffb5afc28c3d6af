#include "cli/config.h"

#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace tuidang {

std::string DefaultConfigText() {
  Config c;
  return fmt::format(
      "# tuidang configuration. Command-line flags override these values.\n"
      "\n"
      "# Address and port to listen on (HOST:PORT).\n"
      "listen = \"{}\"\n"
      "# Threads serving HTTP.\n"
      "threads = {}\n"
      "# Open connections at most; beyond it new ones get 503 and are closed.\n"
      "max_connections = {}\n"
      "# Statements waiting for the writer at most; beyond it submissions get 503.\n"
      "queue_limit = {}\n"
      "# Statements committed in one transaction at most.\n"
      "max_batch = {}\n"
      "# \"publish\": valid web statements are published at once; \"hold\": held for moderation.\n"
      "publish_policy = \"{}\"\n"
      "# Seconds a client has to send a whole request.\n"
      "request_timeout_seconds = {}\n"
      "# The address the public reaches this site at.\n"
      "public_url = \"{}\"\n"
      "# The transparency log's name (first line of every checkpoint). Empty: the host of\n"
      "# public_url followed by /log. Never change it once checkpoints were published.\n"
      "log_origin = \"\"\n"
      "# Milliseconds within which a new statement is in a signed checkpoint.\n"
      "checkpoint_interval_ms = {}\n",
      c.listen, c.threads, c.max_connections, c.queue_limit, c.max_batch, c.publish_policy,
      c.request_timeout_seconds, c.public_url, c.checkpoint_interval_ms);
}

Result<Config> LoadConfig(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    return Error{fmt::format("{}:{}: {}", path, err.source().begin.line, err.description())};
  }
  Config c;
  std::string error;
  auto str = [&](const char* key, std::string* out) {
    if (auto n = t.get(key)) {
      if (auto v = n->value<std::string>()) *out = *v;
      else error = fmt::format("{}: '{}' must be a string", path, key);
    }
  };
  auto num = [&](const char* key, int64_t* out, int64_t lo, int64_t hi) {
    if (auto n = t.get(key)) {
      auto v = n->value<int64_t>();
      if (!v || *v < lo || *v > hi) {
        error = fmt::format("{}: '{}' must be a whole number from {} to {}", path, key, lo, hi);
      } else {
        *out = *v;
      }
    }
  };
  static const std::set<std::string> kKnown = {
      "listen", "threads", "max_connections", "queue_limit", "max_batch", "publish_policy",
      "request_timeout_seconds", "public_url", "log_origin", "checkpoint_interval_ms"};
  for (const auto& [k, v] : t) {
    if (!kKnown.contains(std::string(k.str()))) {
      return Error{fmt::format("{}: unknown setting '{}'", path, k.str())};
    }
  }
  int64_t threads = c.threads;
  str("listen", &c.listen);
  num("threads", &threads, 1, 64);
  num("max_connections", &c.max_connections, 1, 1000000);
  num("queue_limit", &c.queue_limit, 1, 10000000);
  num("max_batch", &c.max_batch, 1, 1000000);
  str("publish_policy", &c.publish_policy);
  num("request_timeout_seconds", &c.request_timeout_seconds, 1, 3600);
  str("public_url", &c.public_url);
  str("log_origin", &c.log_origin);
  num("checkpoint_interval_ms", &c.checkpoint_interval_ms, 10, 3600000);
  c.threads = static_cast<int>(threads);
  if (error.empty() && c.publish_policy != "publish" && c.publish_policy != "hold") {
    error = fmt::format("{}: 'publish_policy' must be \"publish\" or \"hold\"", path);
  }
  if (!error.empty()) return Error{error};
  return c;
}

std::string Config::LogOrigin() const {
  if (!log_origin.empty()) return log_origin;
  std::string host = public_url;
  if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
  if (auto p = host.find('/'); p != std::string::npos) host = host.substr(0, p);
  return host + "/log";
}

Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Fail("listen address must be HOST:PORT, not '" + listen + "'");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return Status::Fail("invalid port in '" + listen + "'");
  }
  *host = h;
  *port = static_cast<uint16_t>(std::stoi(p));
  return Status::Ok();
}

}  // namespace tuidang
