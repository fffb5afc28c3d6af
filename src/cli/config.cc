#include "cli/config.h"

#include "cli/config_addresses.h"
#include "cli/config_mirrors.h"
#include "cli/config_witnesses.h"

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
      "# Prometheus metrics at http://HOST:PORT/metrics, a loopback address only (never the\n"
      "# public port: the counters move with each submission). Empty: off (docs/deploy.md).\n"
      "metrics_listen = \"\"\n"
      "# Threads serving HTTP.\n"
      "threads = {}\n"
      "# Threads of the read lane: day lists, statements, search, /stats and the statements\n"
      "# API read the database there, at a lower priority, so that a crawler queues behind\n"
      "# them and not before /healthz, the form or a submission (docs/deploy-safety.md).\n"
      "# 0: those pages on the HTTP threads.\n"
      "read_threads = {}\n"
      "# Open connections at most. Connections waiting on a slow client get 90 % of them at\n"
      "# most: past that the one waiting longest is closed for a newcomer; when every slot is\n"
      "# busy with a request, new connections get 503 and are closed.\n"
      "max_connections = {}\n"
      "# Connections one client may hold (not a trusted proxy, nor onion clients); 0: no cap.\n"
      "max_connections_per_client = {}\n"
      "# Statements waiting for the writer at most; beyond it submissions get 503.\n"
      "queue_limit = {}\n"
      "# Statements committed in one transaction at most.\n"
      "max_batch = {}\n"
      "# \"publish\": valid web statements are published at once; \"hold\": held for moderation.\n"
      "publish_policy = \"{}\"\n"
      "# Seconds a client has to send a whole request, and its header (idle keep-alive\n"
      "# connections are closed after header_timeout_seconds too).\n"
      "request_timeout_seconds = {}\n"
      "header_timeout_seconds = {}\n"
      "# The address the public reaches this site at.\n"
      "public_url = \"{}\"\n"
      "# The center's onion service (Tor), shown on /about and /safety: \"http://<56\n"
      "# characters>.onion\". Empty: none.\n"
      "onion_address = \"\"\n"
      "# Other addresses where a copy of the public site is served (tuidang export on any web\n"
      "# host: docs/export.md), shown on /about and /safety, e.g.\n"
      "# [\"https://mirror.example.org/tuidang/\"]. Not [[mirror]] (tlog-mirrors: "
      "docs/mirror.md).\n"
      "site_mirrors = []\n"
      "# The transparency log's name (first line of every checkpoint). Empty: the host of\n"
      "# public_url followed by /log. Never change it once checkpoints were published.\n"
      "log_origin = \"\"\n"
      "# Where the center publishes tuidang's Debian package and source code, shown on /log\n"
      "# so that anyone can get the tool that audits the log. Empty: not said.\n"
      "software_url = \"\"\n"
      "# Milliseconds within which a new statement is in a signed checkpoint.\n"
      "checkpoint_interval_ms = {}\n"
      "# Statements entered by operators: \"publish\" at once, or \"hold\" for a second operator.\n"
      "operator_policy = \"{}\"\n"
      "# Seconds after which an idle console session ends.\n"
      "ops_idle_timeout_seconds = {}\n"
      "# Hours a rejected statement's row (its receipt then says \"rejected\") and sealed\n"
      "# fields are kept before they are purged; names and text go at once. 0: purge at once.\n"
      "rejected_retention_hours = {}\n"
      "# Web statements are acknowledged when durable and published in mixed batches: every\n"
      "# publication_interval_seconds on average (drawn between half and one and a half\n"
      "# times it), all accepted ones at once in a random order, so that nobody watching the\n"
      "# site learns when one arrived more finely than its batch. A batch of fewer than\n"
      "# publication_min_batch waits for more, up to publication_max_wait_seconds.\n"
      "# 0: each statement is published as soon as it is stored (tests only).\n"
      "publication_interval_seconds = {}\n"
      "publication_min_batch = {}\n"
      "publication_max_wait_seconds = {}\n"
      "\n"
      "# Safety (docs/deploy-safety.md has the settings for each kind of deployment). Every\n"
      "# protection is on by default; a test or benchmark that turns one off says so.\n"
      "# How clients are told apart for limits and flood detection:\n"
      "#   \"auto\": the peer's address; a peer listed in trusted_proxies (nginx on this\n"
      "#     machine, bound to its own loopback address as in docs/deploy.md) by its\n"
      "#     client_header; any other loopback peer (the Tor daemon of an onion service)\n"
      "#     not at all, and its client_header is ignored (a Tor client can write it);\n"
      "#   \"address\": the peer's address, always (the server faces the clients directly);\n"
      "#   \"proxy\": behind trusted_proxies (addresses or networks), which put the client in\n"
      "#     client_header; \"off\": nobody is told apart (proof of work and global limits only).\n"
      "# Never list the address the Tor daemon connects from in trusted_proxies.\n"
      "# Only keyed hashes, rotated hourly and held in memory, are ever kept.\n"
      "client_key = \"{}\"\n"
      "trusted_proxies = []\n"
      "client_header = \"{}\"\n"
      "# Limits (0: none). Per client: 429 with Retry-After; over all clients: 503.\n"
      "# submissions_per_minute is split: 40 % for clients told apart whose statements pass\n"
      "# the gate, 10 % for theirs that are held, 35 % and 15 % for clients not told apart\n"
      "# (onion), so that one flood cannot spend what the others need.\n"
      "submissions_per_client_per_hour = {}\n"
      "# Receipt codes (docs/threat-model.md): every use of a code (look-up, proof,\n"
      "# correction, withdrawal) per client, unknown codes per client, uses of one code;\n"
      "# over all clients (per server process): every use, unknown codes, unknown old-form\n"
      "# (16-digit) codes. Refused: 429 with Retry-After.\n"
      "receipt_lookups_per_client_per_hour = {}\n"
      "failed_receipt_lookups_per_client_per_hour = {}\n"
      "lookups_per_receipt_per_hour = {}\n"
      "receipt_lookups_per_minute = {}\n"
      "failed_receipt_lookups_per_minute = {}\n"
      "failed_old_receipt_lookups_per_hour = {}\n"
      "submissions_per_minute = {}\n"
      "operator_actions_per_minute = {}\n"
      "# Proof of work: \"hold\" holds a statement sent without a solved challenge (no\n"
      "# JavaScript) for moderation; it is never refused. Difficulty in bits, +1 each time the\n"
      "# statements per minute double past pow_load_step.\n"
      "pow_policy = \"{}\"\n"
      "pow_min_bits = {}\n"
      "pow_max_bits = {}\n"
      "pow_load_step = {}\n"
      "# Flood detection: \"hold\" holds generated names, a text repeated flood_text_repeats\n"
      "# times, a name repeated flood_name_repeats times, more than flood_burst statements from\n"
      "# one client, each within the hour.\n"
      "flood_policy = \"{}\"\n"
      "flood_text_repeats = {}\n"
      "flood_name_repeats = {}\n"
      "flood_burst = {}\n"
      "# The center's office public key (tuidang keys office): contact details are sealed to\n"
      "# it. Empty: the form offers no contact field.\n"
      "office_public_key = \"\"\n"
      "# The database (docs/postgres.md): empty, the SQLite file tuidang.db in this folder; or\n"
      "# a PostgreSQL connection string or URI (what it leaves out comes from PG* variables).\n"
      "# database = \"postgresql://tuidang@db.example.org/tuidang\"\n"
      "# With PostgreSQL, a streaming replica for the public pages and the API (empty: they\n"
      "# read database too).\n"
      "# read_database = \"postgresql://tuidang@replica.example.org/tuidang\"\n"
      "\n"
      "# Publication policy per channel: \"publish\" at once or \"hold\" for moderation (an\n"
      "# operator's held statement must be approved by another operator). A channel left out\n"
      "# follows publish_policy (web) or operator_policy (the others). Keys: web, phone,\n"
      "# letter, fax, email, poster, sheet, import (CSV sheets, CLI and console).\n"
      "[policy]\n"
      "# web = \"hold\"\n"
      "# phone = \"publish\"\n"
      "\n"
      "# Witnesses (docs/witness.md): independent servers that cosign each checkpoint, so that\n"
      "# a log shown differently to different people is caught. One table per witness:\n"
      "# [[witness]]\n"
      "# name = \"w1\"                                    # its name in the policy\n"
      "# key = \"witness.example.org/w1+1a2b3c4d+BP...\"  # its cosignature verifier key\n"
      "# url = \"https://witness.example.org\"           # its submission prefix\n"
      "# [witnessing]\n"
      "# policy = \"quorum w1\"   # tlog-policy lines (group, quorum); default: every witness\n"
      "# policy_file = \"\"       # or a tlog-policy file (witness lines with URLs, groups, ...)\n"
      "# publish = \"at-once\"    # or \"quorum\": /log/checkpoint waits for the quorum,\n"
      "# quorum_wait_seconds = 30 # at most this long\n"
      "# timeout_seconds = 10     # one request to a witness\n"
      "# retry_max_seconds = 300  # the longest back-off after failures\n",
      c.listen, c.threads, c.read_threads, c.max_connections, c.max_connections_per_client,
      c.queue_limit, c.max_batch, c.publish_policy, c.request_timeout_seconds,
      c.header_timeout_seconds, c.public_url, c.checkpoint_interval_ms, c.operator_policy,
      c.ops_idle_timeout_seconds, c.rejected_retention_hours, c.publication_interval_seconds,
      c.publication_min_batch, c.publication_max_wait_seconds, c.client_key, c.client_header,
      c.submissions_per_client_per_hour, c.receipt_lookups_per_client_per_hour,
      c.failed_receipt_lookups_per_client_per_hour, c.lookups_per_receipt_per_hour,
      c.receipt_lookups_per_minute, c.failed_receipt_lookups_per_minute,
      c.failed_old_receipt_lookups_per_hour, c.submissions_per_minute,
      c.operator_actions_per_minute, c.pow_policy, c.pow_min_bits, c.pow_max_bits, c.pow_load_step,
      c.flood_policy, c.flood_text_repeats, c.flood_name_repeats, c.flood_burst);
}

namespace {

// Every setting tuidang.toml may hold; anything else is refused (a typo must not pass as a
// default silently).
const std::set<std::string> kKnown = {"listen",
                                      "metrics_listen",
                                      "threads",
                                      "read_threads",
                                      "max_connections",
                                      "max_connections_per_client",
                                      "header_timeout_seconds",
                                      "queue_limit",
                                      "max_batch",
                                      "publish_policy",
                                      "request_timeout_seconds",
                                      "public_url",
                                      "log_origin",
                                      "software_url",
                                      "checkpoint_interval_ms",
                                      "operator_policy",
                                      "ops_idle_timeout_seconds",
                                      "rejected_retention_hours",
                                      "policy",
                                      "publication_interval_seconds",
                                      "publication_min_batch",
                                      "publication_max_wait_seconds",
                                      "client_key",
                                      "trusted_proxies",
                                      "client_header",
                                      "submissions_per_client_per_hour",
                                      "receipt_lookups_per_client_per_hour",
                                      "lookups_per_receipt_per_hour",
                                      "failed_receipt_lookups_per_client_per_hour",
                                      "receipt_lookups_per_minute",
                                      "failed_receipt_lookups_per_minute",
                                      "failed_old_receipt_lookups_per_hour",
                                      "submissions_per_minute",
                                      "operator_actions_per_minute",
                                      "pow_policy",
                                      "pow_min_bits",
                                      "pow_max_bits",
                                      "pow_load_step",
                                      "flood_policy",
                                      "flood_text_repeats",
                                      "flood_name_repeats",
                                      "flood_burst",
                                      "office_public_key",
                                      "database",
                                      "read_database",
                                      "witness",
                                      "witnessing",
                                      "mirror",
                                      "onion_address",
                                      "site_mirrors"};

// [policy]: publish or hold, per channel. Returns an error message, or empty.
std::string ReadPolicy(const toml::node& n, const std::string& path, Config* config) {
  Config& c = *config;
  std::string error;
  static const std::set<std::string> kChannels = {"web",   "phone",  "letter", "fax",
                                                  "email", "poster", "sheet",  "import"};
  if (const toml::table* p = n.as_table()) {
    for (const auto& [k, v] : *p) {
      std::string key(k.str());
      auto value = v.value<std::string>();
      if (!kChannels.contains(key)) {
        error = fmt::format(
            "{}: unknown channel '{}' in [policy] (web, phone, letter, fax, "
            "email, poster, sheet, import)",
            path, key);
      } else if (!value || (*value != "publish" && *value != "hold")) {
        error = fmt::format("{}: [policy] {} must be \"publish\" or \"hold\"", path, key);
      } else {
        c.policy[key] = *value;
      }
    }
  } else {
    error = fmt::format("{}: 'policy' must be a table ([policy])", path);
  }
  return error;
}

// trusted_proxies: a list of addresses (or one comma-separated string). Returns an error
// message, or empty.
std::string ReadTrustedProxies(const toml::node& n, const std::string& path, Config* config) {
  Config& c = *config;
  std::string error;
  const toml::array* a = n.as_array();
  if (auto text = n.value<std::string>()) {
    // Also accepted: one string, comma-separated ("10.0.0.1, 10.0.0.2").
    std::string item;
    for (char ch : *text + ",") {
      if (ch == ',' || ch == ' ') {
        if (!item.empty()) c.trusted_proxies.push_back(item);
        item.clear();
      } else if (ch != '[' && ch != ']' && ch != '\'' && ch != '"') {
        item += ch;
      }
    }
  } else if (!a) {
    error = fmt::format("{}: 'trusted_proxies' must be a list of strings", path);
  }
  for (size_t i = 0; a && i < a->size(); ++i) {
    auto v = (*a)[i].value<std::string>();
    if (!v) error = fmt::format("{}: 'trusted_proxies' must be a list of strings", path);
    else c.trusted_proxies.push_back(*v);
  }
  return error;
}

// The settings that take one of a few words, and the bounds that involve two settings.
// Returns an error message, or empty.
std::string CheckChoices(const Config& c, const std::string& path) {
  if (c.client_key != "auto" && c.client_key != "off" && c.client_key != "address" &&
      c.client_key != "proxy") {
    return fmt::format("{}: 'client_key' must be \"auto\", \"off\", \"address\" or \"proxy\"",
                       path);
  }
  for (const char* key : {"pow_policy", "flood_policy"}) {
    const std::string& v = std::string(key) == "pow_policy" ? c.pow_policy : c.flood_policy;
    if (v != "off" && v != "hold") {
      return fmt::format("{}: '{}' must be \"off\" or \"hold\"", path, key);
    }
  }
  if (c.pow_max_bits < c.pow_min_bits) {
    return fmt::format("{}: 'pow_max_bits' must not be below 'pow_min_bits'", path);
  }
  if (c.publish_policy != "publish" && c.publish_policy != "hold") {
    return fmt::format("{}: 'publish_policy' must be \"publish\" or \"hold\"", path);
  }
  if (c.operator_policy != "publish" && c.operator_policy != "hold") {
    return fmt::format("{}: 'operator_policy' must be \"publish\" or \"hold\"", path);
  }
  // Both are printed on /log as addresses to follow: a command must run as printed.
  for (const auto& [key, url] :
       {std::pair{"public_url", &c.public_url}, std::pair{"software_url", &c.software_url}}) {
    if (url->empty() && std::string_view(key) == "software_url") continue;
    if (!url->starts_with("http://") && !url->starts_with("https://")) {
      return fmt::format("{}: '{}' must start with http:// or https://", path, key);
    }
  }
  return {};
}

}  // namespace

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
  for (const auto& [k, v] : t) {
    if (!kKnown.contains(std::string(k.str()))) {
      return Error{fmt::format("{}: unknown setting '{}'", path, k.str())};
    }
  }
  int64_t threads = c.threads;
  str("listen", &c.listen);
  str("metrics_listen", &c.metrics_listen);
  num("threads", &threads, 1, 64);
  num("read_threads", &c.read_threads, 0, 64);
  num("max_connections", &c.max_connections, 1, 1000000);
  num("max_connections_per_client", &c.max_connections_per_client, 0, 1000000);
  num("queue_limit", &c.queue_limit, 1, 10000000);
  num("max_batch", &c.max_batch, 1, 1000000);
  str("publish_policy", &c.publish_policy);
  num("request_timeout_seconds", &c.request_timeout_seconds, 1, 3600);
  num("header_timeout_seconds", &c.header_timeout_seconds, 1, 3600);
  str("public_url", &c.public_url);
  str("log_origin", &c.log_origin);
  str("software_url", &c.software_url);
  str("database", &c.database);
  str("read_database", &c.read_database);
  num("checkpoint_interval_ms", &c.checkpoint_interval_ms, 10, 3600000);
  str("operator_policy", &c.operator_policy);
  num("ops_idle_timeout_seconds", &c.ops_idle_timeout_seconds, 1, 86400);
  num("rejected_retention_hours", &c.rejected_retention_hours, 0, 24 * 365 * 10);
  num("publication_interval_seconds", &c.publication_interval_seconds, 0, 24 * 3600);
  num("publication_min_batch", &c.publication_min_batch, 1, 1000000);
  num("publication_max_wait_seconds", &c.publication_max_wait_seconds, 0, 7 * 24 * 3600);
  if (auto n = t.get("policy")) {
    if (std::string e = ReadPolicy(*n, path, &c); !e.empty()) error = e;
  }
  c.threads = static_cast<int>(threads);
  str("client_key", &c.client_key);
  if (auto n = t.get("trusted_proxies")) {
    if (std::string e = ReadTrustedProxies(*n, path, &c); !e.empty()) error = e;
  }
  str("client_header", &c.client_header);
  num("submissions_per_client_per_hour", &c.submissions_per_client_per_hour, 0, 1000000000);
  num("receipt_lookups_per_client_per_hour", &c.receipt_lookups_per_client_per_hour, 0, 1000000000);
  num("lookups_per_receipt_per_hour", &c.lookups_per_receipt_per_hour, 0, 1000000000);
  num("failed_receipt_lookups_per_client_per_hour", &c.failed_receipt_lookups_per_client_per_hour,
      0, 1000000000);
  num("receipt_lookups_per_minute", &c.receipt_lookups_per_minute, 0, 1000000000);
  num("failed_receipt_lookups_per_minute", &c.failed_receipt_lookups_per_minute, 0, 1000000000);
  num("failed_old_receipt_lookups_per_hour", &c.failed_old_receipt_lookups_per_hour, 0, 1000000000);
  num("submissions_per_minute", &c.submissions_per_minute, 0, 1000000000);
  num("operator_actions_per_minute", &c.operator_actions_per_minute, 0, 1000000000);
  str("pow_policy", &c.pow_policy);
  num("pow_min_bits", &c.pow_min_bits, 0, 32);
  num("pow_max_bits", &c.pow_max_bits, 0, 32);
  num("pow_load_step", &c.pow_load_step, 0, 1000000000);
  str("flood_policy", &c.flood_policy);
  num("flood_text_repeats", &c.flood_text_repeats, 1, 1000000);
  num("flood_name_repeats", &c.flood_name_repeats, 1, 1000000);
  num("flood_burst", &c.flood_burst, 1, 1000000);
  str("office_public_key", &c.office_public_key);
  if (error.empty()) error = ReadWitnessing(t, path, &c);
  if (error.empty()) error = ReadMirrors(t, path, &c);
  if (error.empty()) error = ReadCenterAddresses(t, path, &c);
  if (error.empty()) error = CheckChoices(c, path);
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

bool Config::PublishAtOnce(std::string_view channel) const {
  if (auto it = policy.find(std::string(channel)); it != policy.end())
    return it->second == "publish";
  return (channel == "web" ? publish_policy : operator_policy) == "publish";
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
