// `tuidang mirror serve` and `tuidang mirror keygen`: a C2SP tlog-mirror for any log
// (src/mirror/, docs/mirror.md). Configured as the witness is (the same file format,
// witness/config.h), in <data>/mirror.toml.
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
#include "mirror/http_handler.h"
#include "mirror/mirror.h"
#include "mirror/state.h"
#include "web/server.h"
#include "witness/config.h"

namespace tuidang::cli {

namespace {

struct MirrorFlags {
  std::string data = "./mirror";
  std::string listen;
  std::string config;  // default: <data>/mirror.toml
  std::string name;    // keygen: overrides the configuration's name
};

std::string ConfigPath(const MirrorFlags& flags) {
  return flags.config.empty() ? flags.data + "/mirror.toml" : flags.config;
}
std::string KeyPath(const MirrorFlags& flags) { return flags.data + "/mirror.key"; }

// umask, libsodium and the data folder (mode 0700), as every command that writes starts.
bool Prepare(const MirrorFlags& flags) {
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

int Keygen(const MirrorFlags& flags) {
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
    spdlog::error("{} exists already; it is the mirror's identity and is never replaced",
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

int ServeMirror(const MirrorFlags& flags) {
  if (!Prepare(flags)) return 1;
  auto config = witness::LoadWitnessConfig(ConfigPath(flags));
  if (!config) {
    spdlog::error("{}", config.error());
    return kExConfig;
  }
  if (!config->polled.empty()) {  // the witness's format, but a mirror is only pushed to
    spdlog::error("{}: 'poll' is for a witness (tuidang witness serve), not a mirror",
                  ConfigPath(flags));
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
  auto state = mirror::MirrorState::Open(flags.data + "/mirror.db");
  if (!state) {
    spdlog::error("{}", state.error());
    return 1;
  }
  const std::string vkey = key->Verifier().VerifierKey();
  auto mirror = mirror::Mirror::Create(std::move(config->logs), std::move(*key), state->get());
  if (!mirror) {
    spdlog::error("{}", mirror.error());
    return kExConfig;
  }
  mirror::MirrorHandler handler(mirror->get());

  const sigset_t signals = BlockStopSignals();
  web::Server server(options, &handler);
  if (Status s = server.Listen(); !s) {
    spdlog::error("{}", s.message());
    return 1;
  }
  StopOnSignal stopper(signals, &server);
  spdlog::info("mirror {} listening on {} for {} logs (data folder {})", vkey,
               ListenUrl(options.host, server.port()), (*mirror)->logs().size(), flags.data);
  server.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

Subcommand AddMirror(CLI::App& app) {
  auto flags = std::make_shared<MirrorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mirror", "Mirror other logs (C2SP tlog-mirror): keep a copy, cosign what is stored");
  cmd->require_subcommand(1);
  CLI::App* serve = cmd->add_subcommand(
      "serve", "Answer add-checkpoint and add-entries, serve the copies (key made at first start)");
  CLI::App* keygen = cmd->add_subcommand(
      "keygen", "Make the mirror key (<data>/mirror.key) and print its verifier key");
  for (CLI::App* sub : {serve, keygen}) {
    sub->add_option("--data", flags->data, "Data folder (mirror.db, mirror.key, mirror.toml)")
        ->capture_default_str();
    sub->add_option("--config", flags->config, "Configuration (default: <data>/mirror.toml)");
  }
  serve->add_option("--listen", flags->listen,
                    "HOST:PORT to listen on (default: 'listen' in the configuration, " +
                        std::string(witness::kDefaultWitnessListen) + ")");
  keygen->add_option("--name", flags->name, "Key name (default: 'name' in the configuration)");
  return {cmd, [flags, serve] { return serve->parsed() ? ServeMirror(*flags) : Keygen(*flags); }};
}

}  // namespace tuidang::cli
