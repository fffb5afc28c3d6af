// tuidang serve: the web server on the data folder.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <optional>
#include <thread>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/safety_setup.h"
#include "cli/serve_metrics.h"
#include "cli/stop_signals.h"
#include "core/mutex.h"
#include "core/text.h"
#include "intake/intake.h"
#include "intake/publisher.h"
#include "intake/sequencer.h"
#include "log/cosigning.h"
#include "log/integrator.h"
#include "log/mirroring.h"
#include "log/tile_reader.h"
#include "store/sqlite/sqlite_backfill.h"
#include "store/sqlite/sqlite_store.h"
#include "tlog/hash.h"
#include "web/app.h"
#include "web/server.h"

namespace tuidang::cli {

namespace {

// Lets the server hold max_connections sockets plus its files: a soft limit of 1024 would
// make a thousand idle connections stop everyone (accept fails with EMFILE).
void RaiseOpenFileLimit(size_t max_connections) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(max_connections) + 256;
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    spdlog::warn("open files limited to {}: fewer than max_connections + 256", rl.rlim_cur);
  }
}

// Runs ModerationStore::PurgeRejected through the writer now and every kPurgeInterval on
// its own thread, until destroyed.
class PeriodicPurge {
 public:
  static constexpr auto kPurgeInterval = std::chrono::minutes(5);
  PeriodicPurge(Sequencer* writer, int64_t retention_hours)
      : thread_([this, writer, retention_hours] { Run(writer, retention_hours); }) {}
  ~PeriodicPurge() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    thread_.join();
  }

 private:
  void Run(Sequencer* writer, int64_t retention_hours) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (!stop_) {
      lock.Unlock();
      auto n = AwaitWrite<Result<int64_t>>(
          [&](auto then) { return writer->PurgeRejected(retention_hours, std::move(then)); },
          Error{"the writer is stopping"});
      if (!n) spdlog::warn("purge of rejected statements: {}", n.error());
      else if (*n > 0) spdlog::info("{} rejected statements purged", *n);
      lock.Lock();
      const auto deadline = std::chrono::steady_clock::now() + kPurgeInterval;
      while (!stop_ && cv_.WaitUntil(&mu_, deadline)) {
      }
    }
  }

  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the members it uses exist
};

// Cosigning under the configuration's witnesses and policy (checked by LoadConfig).
Result<std::unique_ptr<Cosigning>> StartCosigning(const Config& config, LogStore* store,
                                                  const std::string& origin) {
  auto policy = tlog::Policy::Parse(config.witness_policy_text);
  if (!policy) return Error{policy.error()};
  CosigningOptions options{std::move(*policy)};
  for (const Config::MirrorSetting& m : config.mirrors) {  // their cosignatures are served too
    auto key = tlog::CosignatureVerifier::Parse(m.key);
    if (!key) return Error{key.error()};
    options.mirrors.push_back({m.name, std::move(*key), m.url});
  }
  options.wait_for_quorum = config.witness_wait_for_quorum;
  options.quorum_wait = std::chrono::seconds(config.witness_quorum_wait_seconds);
  options.request_timeout = std::chrono::seconds(config.witness_timeout_seconds);
  options.backoff_max = std::chrono::seconds(config.witness_retry_max_seconds);
  options.backoff_min = std::min(options.backoff_min, options.backoff_max);
  options.conflict_wait = std::min(options.conflict_wait, options.backoff_max);
  if (!options.policy.witnesses().empty()) {
    spdlog::info("witnesses: {} configured; checkpoints are published {}",
                 options.policy.witnesses().size(),
                 options.wait_for_quorum ? "once their quorum cosigned them" : "at once");
  }
  return Cosigning::Start(store, origin, std::move(options));
}

// Mirroring to the configuration's [[mirror]] tables (checked by LoadConfig), started with
// the latest checkpoint when there is one, so that a mirror behind catches up at once.
Result<std::unique_ptr<Mirroring>> StartMirroring(const Config& config, tlog::TileReader* tiles,
                                                  LogStore* store, Cosigning* cosigning) {
  MirroringOptions options;
  options.on_cosigned = [cosigning](size_t index, uint64_t size, const std::string& line) {
    cosigning->OnMirrorCosignature(index, size, line);
  };
  for (const Config::MirrorSetting& m : config.mirrors) {
    auto key = tlog::CosignatureVerifier::Parse(m.key);
    if (!key) return Error{key.error()};
    options.mirrors.push_back({m.name, std::move(*key), m.url});
  }
  options.request_timeout = std::chrono::seconds(config.witness_timeout_seconds);
  options.backoff_max = std::chrono::seconds(config.witness_retry_max_seconds);
  options.backoff_min = std::min(options.backoff_min, options.backoff_max);
  options.conflict_wait = std::min(options.conflict_wait, options.backoff_max);
  if (!options.mirrors.empty()) {
    spdlog::info("mirrors: {} configured", options.mirrors.size());
  }
  auto mirroring = Mirroring::Start(tiles, std::move(options));
  if (!mirroring) return mirroring;
  auto latest = store->LatestCheckpoint();
  if (!latest) return Error{latest.error()};
  if (latest->has_value()) (*mirroring)->OnCheckpoint((*latest)->first, (*latest)->second);
  return mirroring;
}

// The witnesses' and mirrors' outcomes for the metrics (metrics/metrics.h).
std::vector<metrics::PeerOutcomes> WitnessOutcomes(const Cosigning& cosigning) {
  std::vector<metrics::PeerOutcomes> out;
  for (const WitnessStatus& w : cosigning.Statuses()) {
    out.push_back({w.name, w.cosigned, w.conflicts, w.failures, w.backing_off, w.cosigned_size});
  }
  return out;
}
std::vector<metrics::PeerOutcomes> MirrorOutcomes(const Mirroring& mirroring) {
  std::vector<metrics::PeerOutcomes> out;
  for (const MirrorStatus& m : mirroring.Statuses()) {
    out.push_back({m.name, m.mirrored, m.conflicts, m.failures, m.backing_off, m.mirrored_size});
  }
  return out;
}

struct ServeFlags {
  std::string data = "./data";
  std::string listen;
  std::string locale_dir;
  std::string database;
  std::string read_database;
};

int Serve(const ServeFlags& flags) {
  ::umask(077);  // everything we create is the owner's only
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return 1;
  }
  if (FoldName("萬順") != "万顺") {
    spdlog::error("OpenCC's t2s conversion is not available (is the opencc data installed?)");
    return 1;
  }
  DataDir dir{flags.data};
  auto config = PrepareDataDir(dir);
  if (!config) {
    spdlog::error("{}", config.error());
    return 78;  // EX_CONFIG
  }
  if (!flags.listen.empty()) config->listen = flags.listen;
  web::ServerOptions options;
  if (Status s = ParseListen(config->listen, &options.host, &options.port); !s) {
    spdlog::error("{}", s.message());
    return 78;
  }
  options.threads = config->threads;
  options.max_connections = static_cast<size_t>(config->max_connections);
  options.request_timeout = std::chrono::seconds(config->request_timeout_seconds);
  options.header_timeout = std::chrono::seconds(config->header_timeout_seconds);
  options.max_connections_per_client = static_cast<size_t>(config->max_connections_per_client);
  // Safety: limits, proof of work, flood detection, the office key (safety_setup.h).
  auto safety = PrepareSafety(*config, dir);
  if (!safety) {
    spdlog::error("{}", safety.error());
    return 78;
  }
  options.identify = safety->identify.get();
  RaiseOpenFileLimit(options.max_connections);

  StoreLocation location = dir.Location(*config, flags.database);
  // The public reads from a streaming replica (docs/postgres.md); serve is their only reader.
  location.read_database =
      flags.read_database.empty() ? config->read_database : flags.read_database;
  if (Status s = CheckDatabaseSetting(location.database); !s) {
    spdlog::error("{}", s.message());
    return 78;
  }
  if (Status s = CheckReadDatabaseSetting(location); !s) {
    spdlog::error("{}", s.message());
    return 78;
  }
  std::string origin = config->LogOrigin();
  auto published = OpenPublishing(dir, flags.locale_dir, origin, location);
  if (!published) return 1;
  auto* store = &published->store;
  auto* catalog = &published->catalog;
  auto* signer = &published->signer;
  // Prometheus metrics on a loopback port when configured: measured roles (serve_metrics.h).
  auto metrics = ServeMetrics::Open(config->metrics_listen);
  if (!metrics) {
    spdlog::error("{}", metrics.error());
    return 78;
  }
  // Signals are taken by one thread with sigwait; every other thread blocks them (the
  // cosigning threads below included, so they are blocked before those start).
  const sigset_t signals = BlockStopSignals();

  // The witnesses cosign each checkpoint on threads of their own (log/cosigning.h); declared
  // before the integrator, whose hook calls it, so that it outlives the integrator's thread.
  auto cosigning = StartCosigning(*config, store->get(), origin);
  if (!cosigning) {
    spdlog::error("witnesses: {}", cosigning.error());
    return 1;
  }
  // The mirrors get each checkpoint and its entries on threads of their own too
  // (log/mirroring.h), from the log's tiles; their cosignatures go to Cosigning, which serves
  // them (so it is declared first and outlives Mirroring's threads).
  StoreTileReader mirror_tiles(store->get());
  auto mirroring = StartMirroring(*config, &mirror_tiles, store->get(), cosigning->get());
  if (!mirroring) {
    spdlog::error("mirrors: {}", mirroring.error());
    return 1;
  }
  IntegratorOptions integration{origin, std::chrono::milliseconds(config->checkpoint_interval_ms)};
  integration.on_checkpoint = [c = cosigning->get(), m = mirroring->get()](
                                  uint64_t size, const std::string& note) {
    c->OnCheckpoint(size, note);
    m->OnCheckpoint(size, note);
  };
  auto integrator =
      Integrator::Open((*metrics)->MeasuredLog(store->get()), &*signer, std::move(integration));
  if (!integrator) {
    spdlog::error("log: {}", integrator.error());
    return 1;
  }

  int status = 0;
  {
    // The one writer: every write of the server goes through it (intake/sequencer.h).
    Sequencer sequencer({(*metrics)->MeasuredWriter(store->get()), store->get(), store->get()},
                        static_cast<size_t>(config->queue_limit),
                        static_cast<size_t>(config->max_batch));
    const safety::OfficePublicKey* office = safety->guard && safety->guard->options().office_key
                                                ? &*safety->guard->options().office_key
                                                : nullptr;
    intake::Intake intake(&sequencer, safety->guard.get(), office);
    web::AppOptions app_options;
    app_options.publish_at_once = config->PublishAtOnce("web");
    app_options.read_threads = static_cast<size_t>(config->read_threads);
    app_options.log_origin = origin;
    app_options.log_verifier_key = signer->Verifier().VerifierKey();
    app_options.public_url = config->public_url;
    app_options.software_url = config->software_url;
    if (config->witness_policy_text.find("\nwitness ") != std::string::npos ||
        config->witness_policy_text.starts_with("witness ")) {
      app_options.log_witness_policy =
          "log " + app_options.log_verifier_key + "\n" + config->witness_policy_text;
    }
    for (const Config::MirrorSetting& m : config->mirrors) {
      std::string copy;
      if (!m.monitoring_url.empty()) {
        copy = m.monitoring_url;
        while (copy.back() == '/') copy.pop_back();
        // A tlog-mirror serves each log under the hex SHA-256 of its origin (C2SP tlog-mirror).
        copy += "/" + tlog::HashToHex(tlog::Sha256(origin));
      }
      app_options.log_mirrors.push_back({m.name, m.key, std::move(copy)});
    }
    app_options.operator_publish_at_once = config->operator_policy == "publish";
    for (int c = 1; c < static_cast<int>(app_options.channel_publish.size()); ++c) {
      std::string_view code = ChannelCode(static_cast<Channel>(c));
      if (!code.empty()) app_options.channel_publish[c] = config->PublishAtOnce(code);
    }
    app_options.import_publish_at_once = config->PublishAtOnce("import");
    app_options.rejected_retention_hours = config->rejected_retention_hours;
    app_options.publication_interval_seconds = config->publication_interval_seconds;
    app_options.pages_dir = dir.path + "/pages";  // the center's pages (docs/center-pages.md)
    app_options.onion_address = config->onion_address;
    app_options.site_mirrors = config->site_mirrors;
    web::SessionTable sessions(std::chrono::seconds(config->ops_idle_timeout_seconds));
    // Unlocked office keys live as long as the console session that unlocked them.
    safety::SessionKeyring keyring(std::chrono::seconds(config->ops_idle_timeout_seconds));
    web::AppEnv env{store->get(), &sequencer, &*catalog, app_options};
    env.operators = store->get();
    env.moderation = store->get();
    env.sessions = &sessions;
    env.keyring = &keyring;
    env.guard = safety->guard.get();
    env.intake = &intake;
    web::App app(env);
    web::Server server(options, (*metrics)->MeasuredPublic(&app));
    if (Status s = server.Listen(); !s) {
      spdlog::error("{}", s.message());
      return 1;
    }
    if (Status s = (*metrics)->Start({[&] { return sequencer.queued(); },
                                      [&] { return server.open_connections(); },
                                      [s = store->get()] {
                                        auto n = s->LeafCount();
                                        return n ? *n : uint64_t{0};
                                      },
                                      [c = cosigning->get()] { return WitnessOutcomes(*c); },
                                      [m = mirroring->get()] { return MirrorOutcomes(*m); }});
        !s) {
      spdlog::error("{}", s.message());
      return 1;
    }
    StopOnSignal stopper(signals, &server);
    spdlog::info("tuidang listening on {} (data folder {}, store {}, {} statements, {} persons)",
                 ListenUrl(options.host, server.port()), dir.path, DescribeStore(location),
                 (*store)->GetTotals()->statements, (*store)->GetTotals()->persons);
    // Start first, integrate after: leaves appended while the server was down (a bulk
    // import) are integrated by the background thread, starting at once, in steps of
    // max_leaves_per_checkpoint with a checkpoint each, as in normal operation; the indexes
    // an upgrade left to fill are filled beside it (store/sqlite/sqlite_backfill.h).
    (*integrator)->StartBackground([s = store->get()] { s->Refresh(); });
    // (SQLite only: the PostgreSQL store's schema has its indexes from its first version.)
    std::optional<BackfillRunner> backfill;
    if (auto* sqlite = dynamic_cast<SqliteStore*>(store->get())) backfill.emplace(sqlite);
    {
      // Rejected statements are purged once their retention has passed (docs/console.md).
      PeriodicPurge purge(&sequencer, config->rejected_retention_hours);
      // Web statements go out in mixed batches (intake/publisher.h). Statements accepted
      // with batching on and left when it is turned off are published by the first window.
      PublisherOptions publication;
      publication.interval =
          std::chrono::seconds(std::max<int64_t>(1, config->publication_interval_seconds));
      publication.min_batch =
          config->publication_interval_seconds > 0 ? config->publication_min_batch : 1;
      publication.max_wait = std::chrono::seconds(config->publication_max_wait_seconds);
      Publisher publisher(store->get(), publication, {}, &sequencer);
      publisher.StartBackground();
      server.Run();
      app.Stop();  // logins still on the hashing pool answer while the connections exist
      app.SendDelayedAnswers();  // withdrawals' answers held back (web/answer_delay.h)
    }  // the publisher and the purge stop: they write through the sequencer
    // The sequencer commits and answers what is still queued while the connections'
    // io_context still exists: its answers may drop the last reference to a connection.
    sequencer.Stop();
  }
  spdlog::info("stopped");
  return status;
}

}  // namespace

Subcommand AddServe(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the web server: the declaration form, receipts, the published statements, search "
      "and the JSON API. Creates the data folder and its tuidang.toml on first start.");
  cmd->add_option("--data", flags->data, "Data folder (database, configuration)")
      ->capture_default_str();
  cmd->add_option("--listen", flags->listen,
                  "HOST:PORT to listen on (default: 'listen' in tuidang.toml, 127.0.0.1:8080)");
  cmd->add_option("--locale-dir", flags->locale_dir,
                  "Folder of the compiled translation catalogs (default: found automatically)");
  AddDatabaseOption(cmd, &flags->database);
  cmd->add_option("--read-database", flags->read_database,
                  "A streaming replica of the PostgreSQL database for the public pages and the "
                  "API (default: 'read_database' in tuidang.toml; unset: they read --database)");
  return {cmd, [flags] { return Serve(*flags); }};
}

Subcommand AddInit(CLI::App& app) {
  auto data = std::make_shared<std::string>("./data");
  auto database = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Create the data folder with its default tuidang.toml and an empty database.");
  cmd->add_option("--data", *data, "Data folder")->capture_default_str();
  AddDatabaseOption(cmd, database.get());
  return {cmd, [data, database] {
            int code;
            auto opened = OpenDataDir(*data, &code, *database);
            if (!opened) return code;
            const DataDir& dir = opened->dir;
            auto signer = LoadOrCreateLogKey(dir, opened->config.LogOrigin());
            if (!signer) {
              spdlog::error("{}", signer.error());
              return 1;
            }
            fmt::print("data folder ready: {}\nlog verifier key: {}\n", dir.path,
                       signer->Verifier().VerifierKey());
            return 0;
          }};
}

Subcommand AddLog(CLI::App& app) {
  auto data = std::make_shared<std::string>("./data");
  CLI::App* cmd = app.add_subcommand("log", "The transparency log.");
  cmd->require_subcommand(1);
  CLI::App* key = cmd->add_subcommand(
      "key", "Print the log's verifier key (name+hash+base64), for auditors and mirrors.");
  key->add_option("--data", *data, "Data folder")->capture_default_str();
  return {cmd, [data] {
            ::umask(077);
            DataDir dir{*data};
            auto config = PrepareDataDir(dir);
            if (!config) {
              spdlog::error("{}", config.error());
              return 78;
            }
            auto signer = LoadOrCreateLogKey(dir, config->LogOrigin());
            if (!signer) {
              spdlog::error("{}", signer.error());
              return 1;
            }
            fmt::print("{}\n", signer->Verifier().VerifierKey());
            return 0;
          }};
}

Subcommand AddWithdraw(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    int64_t number = 0;
    std::string reason;
    std::string database;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "withdraw",
      "Take a published statement down: delete its names, text and salt, and append a "
      "withdrawal leaf to the log (the count drops by its persons). Works while the server "
      "runs; the next checkpoint includes the withdrawal.");
  cmd->add_option("number", flags->number, "The statement's public number")->required();
  cmd->add_option("--reason", flags->reason, "declarant-request, danger, fake or duplicate")
      ->required();
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(cmd, &flags->database);
  return {cmd, [flags] {
            auto reason = ParseWithdrawalReason(flags->reason);
            if (!reason) {
              spdlog::error("unknown reason '{}': use declarant-request, danger, fake or duplicate",
                            flags->reason);
              return 64;
            }
            int code;
            auto opened = OpenDataDir(flags->data, &code, flags->database);
            if (!opened) return code;
            // Through a writer of this process's own, as every write (SQLite serialises it
            // with a running server's).
            Sequencer writer(opened->store.get(), /*queue_limit=*/1, /*max_batch=*/1);
            Status s = AwaitWrite<Status>(
                [&](Sequencer::Then<Status> then) {
                  return writer.Withdraw(flags->number, *reason, {}, std::move(then));
                },
                Status::Fail("the writer is stopping"));
            if (!s) {
              spdlog::error("{}", s.message());
              return 1;
            }
            fmt::print("statement {} withdrawn ({})\n", flags->number, flags->reason);
            return 0;
          }};
}

}  // namespace tuidang::cli
