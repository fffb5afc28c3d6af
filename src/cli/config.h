// The configuration: `tuidang.toml` in the data folder, created with the defaults on first
// start; command-line flags override it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tuidang {

struct Config {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT
  // Prometheus metrics (metrics/metrics.h): a loopback HOST:PORT, or "" (off).
  std::string metrics_listen;
  int threads = 2;                 // HTTP threads
  int64_t read_threads = 1;        // the read lane's threads (web/app.h); 0: none
  int64_t max_connections = 2000;  // beyond it new connections get 503 and are closed
  // Connections one client may hold (a peer told apart; never a trusted proxy, nor the
  // clients of an onion service). A browser opens at most 6 to a site: 64 leaves room for
  // about ten declarants behind one shared exit at once, while one address holds no more
  // than about 3 % of the slots. 0: no cap.
  int64_t max_connections_per_client = 64;
  int64_t queue_limit = 20000;             // statements waiting for the writer; then 503
  int64_t max_batch = 4096;                // statements per transaction at most
  std::string publish_policy = "publish";  // "publish" at once, or "hold" for moderation
  int64_t request_timeout_seconds = 10;    // a request must arrive within this
  // The request header (one packet) must arrive within this of the connection or of the
  // previous answer (so an idle keep-alive connection is closed after it too): over Tor it
  // comes within a round trip or two; a slowloris holds a slot half as long as before.
  int64_t header_timeout_seconds = 5;
  std::string public_url = "http://127.0.0.1:8080";
  std::string log_origin;  // empty: host[:port] of public_url + "/log"
  // Where the center publishes tuidang's Debian package and source, for auditors (the /log
  // page says so); empty: the page sends them to the center's about page.
  std::string software_url;
  // Empty: SQLite in the data folder; else a PostgreSQL conninfo or URI (store/open_store.h).
  std::string database;
  // Empty: the public pages read `database` too; else a conninfo or URI of a streaming
  // replica of it that they read (tuidang serve only; docs/postgres.md).
  std::string read_database;
  int64_t checkpoint_interval_ms = 1000;  // how soon a new leaf is in a signed checkpoint
  // Statements entered by operators: "publish" at once, or "hold" for a second operator.
  std::string operator_policy = "publish";
  int64_t ops_idle_timeout_seconds = 1800;  // a console session ends after this idle time
  // [policy]: per channel ("web", "phone", "letter", "fax", "email", "poster", "sheet",
  // "import"), "publish" or "hold". A channel not listed follows publish_policy (web) or
  // operator_policy (every other). Read it with PublishAtOnce().
  std::map<std::string, std::string> policy;
  // Rejected statements: their rows (receipt, day, channel) and sealed fields are purged
  // this many hours after the rejection; 0 = at once (docs/console.md).
  int64_t rejected_retention_hours = 720;
  // Mixed publication batches (intake/publisher.h). At 42,000 statements a day, ten minutes
  // hide each web statement among about 290 others (docs/threat-model.md); a quiet night
  // waits for 20 at most an hour.
  int64_t publication_interval_seconds = 600;
  int64_t publication_min_batch = 20;
  int64_t publication_max_wait_seconds = 3600;

  // Safety (docs/deploy-safety.md). On by default: a fresh install holds floods, limits each
  // client and everyone, and asks browsers for proof of work. Limits of 0 are off.
  std::string client_key = "auto";           // "auto", "off", "address" or "proxy"
  std::vector<std::string> trusted_proxies;  // addresses or CIDR networks, for "proxy"/"auto"
  std::string client_header = "X-Forwarded-For";
  // 429 beyond. Far above a declarant (a family declares in one statement) yet a hard stop
  // for one address; flood_burst holds a smaller burst first, without refusing it.
  int64_t submissions_per_client_per_hour = 60;
  // Receipt codes (docs/threat-model.md has the calculation these numbers serve). Every use
  // of a code counts: look-up, proof, correction, withdrawal, page or API; then 429.
  int64_t receipt_lookups_per_client_per_hour = 120;  // guessing codes from one client
  // Unknown codes from one client: a declarant mistypes a few times, a guesser thousands.
  int64_t failed_receipt_lookups_per_client_per_hour = 20;
  int64_t lookups_per_receipt_per_hour = 120;  // a code watched
  // Every use over all clients, per server process: the bound for new codes. 100 a second
  // is far above the center's real look-ups (about one statement a second at its peak).
  int64_t receipt_lookups_per_minute = 6000;
  // Unknown new-form codes over all clients: once spent, clients that are not told apart
  // (an onion service) wait, so a guesser among them cannot spend the budget above.
  int64_t failed_receipt_lookups_per_minute = 600;
  // Unknown old-form (16-digit) codes over all clients, per server process: strict, since
  // 10^16 codes alone are guessable at scale; once spent, every old-form code waits.
  int64_t failed_old_receipt_lookups_per_hour = 10;
  // Over all clients; then 503. 50 a second: far above any genuine peak, yet it bounds what
  // a flood can add to the database in a day (docs/deploy-safety.md).
  int64_t submissions_per_minute = 3000;
  // Per operator account (console); takes effect once the console calls Guard::AdmitOperator.
  int64_t operator_actions_per_minute = 120;
  std::string pow_policy = "hold";  // "off" or "hold" (never refuses)
  int64_t pow_min_bits = 16, pow_max_bits = 22, pow_load_step = 60;
  std::string flood_policy = "hold";  // "off" or "hold"
  int64_t flood_text_repeats = 5, flood_name_repeats = 20, flood_burst = 5;
  std::string office_public_key;  // empty: no private fields accepted

  // Witnesses (docs/witness.md): [[witness]] tables (name, key, url) and [witnessing].
  struct WitnessSetting {
    std::string name, key, url;
  };
  std::vector<WitnessSetting> witnesses;
  std::string witness_policy;       // [witnessing] policy: tlog-policy lines (groups, quorum)
  std::string witness_policy_file;  // [witnessing] policy_file, relative to tuidang.toml's folder
  bool witness_wait_for_quorum = false;  // [witnessing] publish = "at-once" | "quorum"
  int64_t witness_quorum_wait_seconds = 30;
  int64_t witness_timeout_seconds = 10;
  int64_t witness_retry_max_seconds = 300;
  // The whole C2SP tlog-policy the log asks its witnesses under, assembled and checked by
  // LoadConfig: a witness line per [[witness]], then policy_file, then policy; when neither
  // gives a quorum line, every witness must cosign ("quorum none" with no witness).
  std::string witness_policy_text = "quorum none\n";
  // C2SP tlog-mirrors the log pushes to (docs/mirror.md): [[mirror]] tables (name, key, url,
  // monitoring_url);
  // [witnessing]'s timeout_seconds and retry_max_seconds apply to them too.
  struct MirrorSetting {
    std::string name, key, url;
    std::string monitoring_url;  // empty: /log does not say where the copy is read
  };
  std::vector<MirrorSetting> mirrors;
  // The center's other public addresses, shown on /about and /safety (cli/config_addresses.h):
  // its onion service ("http://<56 characters>.onion/", empty: none) and the URLs of copies
  // of the public site (static exports), in the order given.
  std::string onion_address;
  std::vector<std::string> site_mirrors;

  // log_origin, or its default derived from public_url.
  std::string LogOrigin() const;
  // True when statements of `channel` (a key of [policy]) are published at once.
  bool PublishAtOnce(std::string_view channel) const;
};

// Reads `path`; a missing key keeps its default, an unknown key or a wrong type is an error.
Result<Config> LoadConfig(const std::string& path);
// The file written on first start: every key with its default and a comment.
std::string DefaultConfigText();
// Splits "HOST:PORT" ("[::1]:8080" for IPv6).
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port);

}  // namespace tuidang
