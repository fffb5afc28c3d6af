// `tuidang witness serve` and `tuidang witness keygen`: a C2SP tlog-witness for any log
// (src/witness/, docs/witness.md).
#include <signal.h>
#include <sys/stat.h>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/stop_signals.h"
#include "web/server.h"
#include "witness/config.h"
#include "witness/http_handler.h"
#include "witness/poller.h"
#include "witness/state.h"
#include "witness/witness.h"

namespace tuidang::cli {

namespace {

struct WitnessFlags {
  std::string data = "./witness";
  std::string listen;
  std::string config;  // default: <data>/witness.toml
  std::string name;    // keygen: overrides the configuration's name
};

std::string ConfigPath(const WitnessFlags& flags) {
  return flags.config.empty() ? flags.data + "/witness.toml" : flags.config;
}
std::string KeyPath(const WitnessFlags& flags) { return flags.data + "/witness.key"; }

// umask, libsodium and the data folder (mode 0700), as every command that writes starts.
bool Prepare(const WitnessFlags& flags) {
  ::umask(077);
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return false;
  }
  if (::mkdir(flags.data.c_str(), 0700) != 0 && errno != EEXIST) {
    spdlog::error("cannot create the data folder {}: {}", flags.data, std::strerror(errno));
    return false;
  }
  return true;
}

int Keygen(const WitnessFlags& flags) {
  if (!Prepare(flags)) return 1;
  std::string name = flags.name;
  if (name.empty()) {
    auto config = witness::LoadWitnessConfig(ConfigPath(flags));
    if (!config) {
      spdlog::error("{} (or give --name)", config.error());
      return kExConfig;
    }
    name = config->name;
  }
  struct stat st;
  if (::stat(KeyPath(flags).c_str(), &st) == 0) {
    spdlog::error("{} exists already; it is the witness's identity and is never replaced",
                  KeyPath(flags));
    return 1;
  }
  auto key = witness::LoadWitnessKey(KeyPath(flags), name, /*create=*/true);
  if (!key) {
    spdlog::error("{}", key.error());
    return 1;
  }
  std::printf("%s\n", key->Verifier().VerifierKey().c_str());  // what logs configure
  return 0;
}

int ServeWitness(const WitnessFlags& flags) {
  if (!Prepare(flags)) return 1;
  auto config = witness::LoadWitnessConfig(ConfigPath(flags));
  if (!config) {
    spdlog::error("{}", config.error());
    return kExConfig;
  }
  if (!flags.listen.empty()) config->listen = flags.listen;
  web::ServerOptions options;
  if (Status s = ParseListen(config->listen, &options.host, &options.port); !s) {
    spdlog::error("{}", s.message());
    return kExConfig;
  }
  options.threads = config->threads;
  auto key = witness::LoadWitnessKey(KeyPath(flags), config->name, /*create=*/true);
  if (!key) {
    spdlog::error("{}", key.error());
    return 1;
  }
  auto state = witness::WitnessState::Open(flags.data + "/witness.db");
  if (!state) {
    spdlog::error("{}", state.error());
    return 1;
  }
  const std::string vkey = key->Verifier().VerifierKey();
  auto witness = witness::Witness::Create(std::move(config->logs), std::move(*key), state->get());
  if (!witness) {
    spdlog::error("{}", witness.error());
    return kExConfig;
  }
  witness::WitnessHandler handler(witness->get());

  // Signals blocked before the pollers' threads start, so that only the stopper takes them.
  const sigset_t signals = BlockStopSignals();
  // The logs to poll (witness/poller.h), beside the add-checkpoint requests of those that
  // call; stopped (its threads joined) before the witness and the state go.
  auto poller = witness::Poller::Start(witness->get(), state->get(), config->polled);
  if (!poller) {
    spdlog::error("{}: {}", ConfigPath(flags), poller.error());
    return kExConfig;
  }
  for (const witness::PolledLog& p : config->polled) {
    spdlog::info("witness: polling {} at {} every {} s", p.origin, p.url, p.interval.count());
  }
  web::Server server(options, &handler);
  if (Status s = server.Listen(); !s) {
    spdlog::error("{}", s.message());
    return 1;
  }
  StopOnSignal stopper(signals, &server);
  spdlog::info("witness {} listening on {} for {} logs (data folder {})", vkey,
               ListenUrl(options.host, server.port()), (*witness)->logs().size(), flags.data);
  server.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

Subcommand AddWitness(CLI::App& app) {
  auto flags = std::make_shared<WitnessFlags>();
  CLI::App* cmd = app.add_subcommand(
      "witness",
      "Witness other logs (C2SP tlog-witness): cosign their checkpoints when consistent");
  cmd->require_subcommand(1);
  CLI::App* serve = cmd->add_subcommand(
      "serve", "Answer add-checkpoint and the monitoring endpoint (key made at first start)");
  CLI::App* keygen = cmd->add_subcommand(
      "keygen", "Make the witness key (<data>/witness.key) and print its verifier key");
  for (CLI::App* sub : {serve, keygen}) {
    sub->add_option("--data", flags->data, "Data folder (witness.db, witness.key)")
        ->capture_default_str();
    sub->add_option("--config", flags->config, "Configuration (default: <data>/witness.toml)");
  }
  serve->add_option("--listen", flags->listen,
                    "HOST:PORT to listen on (default: 'listen' in the configuration, " +
                        std::string(witness::kDefaultWitnessListen) + ")");
  keygen->add_option("--name", flags->name, "Key name (default: 'name' in the configuration)");
  return {cmd, [flags, serve] { return serve->parsed() ? ServeWitness(*flags) : Keygen(*flags); }};
}

}  // namespace tuidang::cli
