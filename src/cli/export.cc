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

int RunExport(const ExportFlags& flags) {
  ::umask(022);  // a mirror is public: its files are world-readable
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return 1;
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
      "folder writes only what changed.");
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
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
  return {cmd, [flags] { return RunExport(*flags); }};
}

}  // namespace tuidang::cli
