// tuidang export: the public site and its log as static files (export/exporter.h,
// docs/export.md). Runs beside a running server (it reads through its own connections) or
// alone.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "export/exporter.h"
#include "export/log_copy.h"
#include "log/integrator.h"

namespace tuidang::cli {

namespace {

// How long the export waits for a running server to sign a checkpoint covering the leaves
// it counts (the server signs within checkpoint_interval_ms, one second by default) before
// it integrates them itself.
constexpr auto kCheckpointWait = std::chrono::seconds(3);

struct ExportFlags {
  std::string data = "./data";
  std::string out;
  std::string base_url;
  std::vector<std::string> submit_urls;
  std::string locale_dir;
  bool full = false;
  int threads = 2;
  std::string database;
  // --log-from: the log alone, from a mirror's copy (export/log_copy.h).
  std::string log_from;
  std::string vkey;
  std::string origin;
  bool site_options = false;  // one of the options that only a site export uses was given
};

// Makes sure the latest checkpoint covers every leaf the store's totals count.
Status CoverTotals(Store* store, const tlog::NoteSigner& signer, const std::string& origin) {
  const uint64_t needed = store->GetTotals()->tree_size;
  const auto deadline = std::chrono::steady_clock::now() + kCheckpointWait;
  for (;;) {
    auto latest = store->LatestCheckpoint();
    if (!latest) return Status::Fail(latest.error());
    if (latest->has_value() && (*latest)->first >= needed) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // No server is signing: integrate here, as `tuidang serve` does when it starts.
  auto integrator = Integrator::Open(store, &signer, IntegratorOptions{origin});
  if (!integrator) return Status::Fail("log: " + integrator.error());
  auto size = (*integrator)->IntegrateAll();
  if (!size) return Status::Fail("log: " + size.error());
  return Status::Ok();
}

// The log folder alone, copied from a mirror's copy and verified while copied.
int RunLogCopy(const ExportFlags& flags) {
  if (flags.site_options) {
    spdlog::error(
        "--log-from copies the log alone: --data, --database, --base-url, --submit-url, --full, "
        "--threads and --locale-dir are for a site export");
    return 64;  // EX_USAGE
  }
  if (flags.vkey.empty()) {
    spdlog::error("--log-from needs --vkey, the log's verifier key (on its /log page)");
    return 64;
  }
  auto key = tlog::NoteVerifier::Parse(flags.vkey);
  if (!key) {
    spdlog::error("--vkey: {}", key.error());
    return 64;
  }
  const std::string origin = flags.origin.empty() ? key->name() : flags.origin;
  auto from = exporter::OpenMirrorCopy(flags.log_from, origin);
  if (!from) {
    spdlog::error("--log-from {}", from.error());
    return 66;  // EX_NOINPUT
  }
  const auto start = std::chrono::steady_clock::now();
  auto report = exporter::CopyLog(**from, *key, origin, flags.out);
  if (!report) {
    spdlog::error("log copy failed, {} unchanged: {}", flags.out, report.error());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "copied the log of {} from {} to {}/log, tree size {}{} ({} files read from the copy, {} "
      "full tiles kept, {} written, {} deleted), verified against {}, in {:.1f} s\n",
      origin, flags.log_from, flags.out, report->tree_size,
      report->previous_size ? fmt::format(", extending size {}", *report->previous_size) : "",
      report->fetched, report->kept, report->written, report->deleted, key->name(), seconds);
  return 0;
}

int RunExport(const ExportFlags& flags) {
  ::umask(022);  // a mirror is public: its files are world-readable
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return 1;
  }
  if (!flags.log_from.empty()) return RunLogCopy(flags);
  if (!flags.vkey.empty() || !flags.origin.empty()) {
    spdlog::error("--vkey and --origin go with --log-from (a site export uses its own key)");
    return 64;
  }
  DataDir dir{flags.data};
  auto config = LoadConfig(dir.ConfigPath());
  const StoreLocation location = config ? dir.Location(*config, flags.database) : StoreLocation{};
  struct stat st {};
  if (!UsesPostgres(location) && ::stat(dir.DatabasePath().c_str(), &st) != 0) {
    spdlog::error("{}: no database (give the server's --data folder)", dir.DatabasePath());
    return 66;  // EX_NOINPUT
  }
  if (!config) {
    spdlog::error("{}", config.error());
    return 78;
  }
  const std::string origin = config->LogOrigin();
  auto published = OpenPublishing(dir, flags.locale_dir, origin, location);
  if (!published) return 1;
  auto* store = &published->store;
  auto* catalog = &published->catalog;
  auto* signer = &published->signer;
  if (Status s = CoverTotals(store->get(), *signer, origin); !s) {
    spdlog::error("{}", s.message());
    return 1;
  }
  exporter::ExportOptions options;
  options.out = flags.out;
  options.base_url = flags.base_url;
  options.submit_urls = flags.submit_urls;
  if (options.submit_urls.empty()) options.submit_urls.push_back(config->public_url);
  options.software_url = config->software_url;
  options.verifier_key = signer->Verifier().VerifierKey();
  options.full = flags.full;
  options.threads = flags.threads;

  exporter::ExportSource source{store->get(), &*catalog, origin};
  const auto start = std::chrono::steady_clock::now();
  auto report = exporter::Export(source, *signer, options);
  if (!report) {
    spdlog::error("export failed: {}", report.error());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "exported {} files to {} ({} written, {} deleted, {} days rendered), tree size {}, "
      "in {:.1f} s\n",
      report->files, flags.out, report->written, report->deleted, report->days_rendered,
      report->tree_size, seconds);
  return 0;
}

}  // namespace

Subcommand AddExport(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write the public site and its log as static files that any web host, CDN or USB stick "
      "can serve, with a manifest signed by the log's key. A second export into the same "
      "folder writes only what changed. With --log-from, the log alone, copied from a mirror's "
      "copy and verified.");
  CLI::Option* data = cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  AddDatabaseOption(cmd, &flags->database);
  cmd->add_option("--out", flags->out, "The mirror folder")->required();
  cmd->add_option("--base-url", flags->base_url,
                  "Where the mirror will be served (shown on its check page)");
  cmd->add_option("--submit-url", flags->submit_urls,
                  "A live address that receives statements (main site, onion service, other "
                  "live mirrors); repeat for several (default: public_url of tuidang.toml)");
  cmd->add_flag("--full", flags->full, "Render every page again (after an upgrade)");
  cmd->add_option("--threads", flags->threads, "Threads rendering and writing the pages of a day")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--locale-dir", flags->locale_dir,
                  "Folder of the compiled translation catalogs (default: found automatically)");
  cmd->add_option("--log-from", flags->log_from,
                  "Write the log folder alone (log/checkpoint, log/tile/...), copied from a "
                  "mirror's copy instead of the data folder and verified while copied: the "
                  "copy's address (https://MIRROR/<hex SHA-256 of the origin>) or a `tuidang "
                  "mirror serve` data folder");
  cmd->add_option("--vkey", flags->vkey,
                  "With --log-from: the log's verifier key, which must have signed the copy");
  cmd->add_option("--origin", flags->origin,
                  "With --log-from: the log's origin line (default: the key's name)");
  return {cmd, [flags, cmd, data] {
            for (const char* name : {"--database", "--base-url", "--submit-url", "--full",
                                     "--threads", "--locale-dir"}) {
              if (cmd->get_option(name)->count() > 0) flags->site_options = true;
            }
            if (data->count() > 0) flags->site_options = true;
            return RunExport(*flags);
          }};
}

}  // namespace tuidang::cli
