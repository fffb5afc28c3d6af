// The application: routes each request to its page or API resource through the one route
// table (routes.h), handing each handler a RequestContext (request_context.h). Handlers stay
// thin: they call plain functions (pages.h) that tests can call without a socket.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "intake/intake.h"
#include "intake/sequencer.h"
#include "safety/guard.h"
#include "store/moderation_store.h"
#include "store/operator_store.h"
#include "store/store.h"
#include "tlog/tile.h"
#include "web/answer_delay.h"
#include "web/http.h"
#include "web/i18n.h"
#include "web/ops_auth.h"
#include "web/ops_session.h"
#include "web/page_cache.h"
#include "web/routes.h"
#include "web/worker_pool.h"

namespace tuidang::web {

// A C2SP tlog-mirror the log pushes to, as the /log page names it (tuidang.toml's [[mirror]]).
struct LogMirror {
  std::string name;      // its [[mirror]] name
  std::string key;       // its cosignature verifier key
  std::string copy_url;  // where its copy of this log is read; empty: not said
};

struct AppOptions {
  // Publish valid web statements at once, or hold them for moderation.
  bool publish_at_once = true;
  // Web statements to be published are stored as accepted and published by the next
  // mixed batch (intake/publisher.h), about this often, rather than at once; 0: at once.
  int64_t publication_interval_seconds = 0;
  // Seconds a client is told to wait (Retry-After) when the intake queue is full.
  int retry_after_seconds = 2;
  // The log's origin line and verifier key, shown on /log.
  std::string log_origin;
  std::string log_verifier_key;
  // The witnesses' tlog-policy (log/cosigning.h), shown on /log; empty: none.
  std::string log_witness_policy;
  // The mirrors, shown on /log with whether they cosigned the served checkpoint.
  std::vector<LogMirror> log_mirrors;
  // public_url (the /log page's audit command reads the log there) and software_url (where
  // the center publishes tuidang; empty: not said), from the configuration.
  std::string public_url;
  std::string software_url;
  // Statements entered by operators: published at once, or held for a second operator.
  bool operator_publish_at_once = true;
  // [policy] per channel, indexed by Channel's value; unset: the two defaults above.
  std::array<std::optional<bool>, 8> channel_publish{};
  bool import_publish_at_once = true;  // CSV sheets uploaded in the console
  // The administrator's Markdown for the center's pages (center_pages.cc); empty: the
  // compiled-in defaults only.
  std::string pages_dir;
  // The center's onion service and the URLs of copies of the public site, shown on /about
  // and /safety (tuidang.toml's onion_address and site_mirrors); empty: not shown.
  std::string onion_address;
  std::vector<std::string> site_mirrors;
  // Hours a rejected statement's row is kept; 0: purged at once (docs/console.md).
  int64_t rejected_retention_hours = 720;
  // Threads of the read lane (docs/deploy-safety.md, "A crawler"): the public reads that
  // go to the store for each page (day lists, statements, certificates, search, /stats,
  // the statements API) run there, at a lower priority, at most kReadQueuePerThread waiting
  // per thread (beyond it 503 with Retry-After), so that a crawler at full speed queues
  // behind its own few threads and never before /healthz, the form or a submission.
  // 0: no lane, every request answered on the I/O thread that read it, at once (the unit
  // tests and fuzz targets, which expect the answer before Handle returns).
  size_t read_threads = 0;
  bool PublishesAtOnce(Channel c) const {
    auto v = channel_publish[static_cast<size_t>(c) % channel_publish.size()];
    return v ? *v : (c == Channel::kWeb ? publish_at_once : operator_publish_at_once);
  }
};

// The services the App is built with (serve, export and the fuzz targets fill it in);
// handlers reach them through RequestContext::env. The pointers are not owned and must
// outlive the App.
struct AppEnv {
  Store* store;
  Sequencer* sequencer;  // the one writer: every write of the server goes through it
  const Catalog* catalog;
  AppOptions options;
  PageCache* cache = nullptr;       // rendered pages; set by App
  PageCache* tile_cache = nullptr;  // served log tiles and bundles (immutable); set by App
  // Hashed nodes of the tiles every receipt's proof reads (tlog/tile.h); set by App.
  tlog::NodeHashCache* proof_nodes = nullptr;
  // The abuse gate (limits, proof of work, flood detection, office key); null: none.
  safety::Guard* guard = nullptr;
  // The operators' console (issue 4); null: no console.
  OperatorStore* operators = nullptr;
  ModerationStore* moderation = nullptr;
  SessionTable* sessions = nullptr;
  // The console's login and session checks (its hashing pool); set by App when there are
  // operators and sessions.
  OpsAuth* auth = nullptr;
  // Office secret keys admins unlocked in their console sessions (memory only); null: none.
  safety::SessionKeyring* keyring = nullptr;
  // Holds back the destructive receipt actions' answers (answer_delay.h); set by App. Null:
  // they answer at once.
  AnswerDelay* delay = nullptr;
  // The one entry point of statements (intake/intake.h), in front of `sequencer`.
  intake::Intake* intake = nullptr;
};

// Requests waiting for the read lane, per lane thread, at most; a page of the lane takes a
// few milliseconds, so a full queue is about a second's wait.
constexpr size_t kReadQueuePerThread = 128;
// The lane's threads run at this nice value: when the cores are busy, the I/O threads and
// the writer are served first.
constexpr int kReadThreadNice = 5;

class App final : public Handler {
 public:
  explicit App(AppEnv env) : env_(env) {
    env_.cache = &cache_;
    env_.tile_cache = &tile_cache_;
    env_.proof_nodes = &proof_nodes_;
    env_.delay = &delay_;
    if (env_.operators && env_.sessions) {
      auth_ = std::make_unique<OpsAuth>(env_.operators, env_.sessions);
      env_.auth = auth_.get();
    }
    if (env_.options.read_threads > 0) {
      reads_ = std::make_unique<WorkerPool>(env_.options.read_threads,
                                            env_.options.read_threads * kReadQueuePerThread,
                                            kReadThreadNice);
    }
  }
  void Handle(Request req, Responder respond) override;
  void Handle(Request req, std::optional<safety::ClientKey> client, Responder respond) override;
  Response TransportError(http::status status, std::string_view target,
                          std::string_view accept_language) override;
  // More than kMaxBodyBytes only for a logged-in operator's upload (ops_pages.h).
  size_t BodyLimit(const Request& header) override;
  // Sends the answers still held back (answer_delay.h) and finishes the console logins
  // still being hashed (OpsAuth::Stop). Call once the server has stopped, before it is
  // destroyed, since their answers go to its connections.
  void SendDelayedAnswers() { delay_.Flush(); }
  void Stop() {
    if (reads_) reads_->Stop();
    if (auth_) auth_->Stop();
  }

 private:
  PageCache cache_;
  // Up to 4096 tiles (about 32 MB): the latest tiles, which every verifier and mirror asks for.
  PageCache tile_cache_{4096};
  tlog::NodeHashCache proof_nodes_;
  AppEnv env_;
  AnswerDelay delay_;
  // Destroyed first: its pool finishes the logins still queued while the rest is alive.
  std::unique_ptr<OpsAuth> auth_;
  // The read lane (AppOptions::read_threads); null: none. Declared last, so destroyed
  // first: the pages still queued there use env_ and the caches.
  std::unique_ptr<WorkerPool> reads_;

  // Handle's work after the gate, on the I/O thread or the read lane; `m` is the route of
  // `t`, the request's split target.
  void Dispatch(Request& req, const std::optional<safety::ClientKey>& client, Responder respond,
                const Target& t, const RouteMatch& m);
};

}  // namespace tuidang::web
