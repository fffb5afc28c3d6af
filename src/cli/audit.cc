// tuidang audit: verifies the public log of a site or of a mirror folder, and its totals
// (audit/audit.h). Needs nothing of the center but its verifier key.
#include "audit/audit.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "audit/http_source.h"
#include "audit/quorum.h"
#include "audit/state.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "tlog/hash.h"
#include "tlog/note.h"

namespace tuidang::cli {

namespace {

constexpr int kExitFailed = 1;
// How often the progress line is redrawn: smooth enough to watch, cheap on a slow terminal.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

struct AuditFlags {
  std::string source;
  std::string vkey;
  std::string state;
  std::string origin;
  int timeout_seconds = 120;
  int parallel = 8;
  std::string policy;                  // --policy FILE (tlog-policy)
  std::vector<std::string> witnesses;  // --witness VKEY, repeated
  std::optional<int> quorum;           // --quorum N
};

bool IsUrl(std::string_view s) { return s.find("://") != std::string_view::npos; }

int Fail(int code, std::string_view message) {
  fmt::print(stderr, "audit failed: {}\n", message);
  return code;
}

// Redraws one line on stderr, at most every kProgressInterval.
class ProgressLine {
 public:
  void Show(const audit::AuditProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < kProgressInterval && p.tiles_done != p.tiles_total) return;
    last_ = now;
    shown_ = true;
    fmt::print(stderr, "\raudit: {} of {} entries, {} of {} tiles\x1b[K", p.entries_done,
               p.entries_total, p.tiles_done, p.tiles_total);
    std::fflush(stderr);
  }
  void Clear() {
    if (shown_) fmt::print(stderr, "\r\x1b[K");
    shown_ = false;
  }

 private:
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

// True when `url` ends in the path segment a C2SP tlog-mirror serves `origin`'s copy under.
bool IsTlogMirrorCopy(std::string_view url, std::string_view origin) {
  while (url.ends_with('/')) url.remove_suffix(1);
  return url.ends_with("/" + tlog::HashToHex(tlog::Sha256(origin)));
}

int RunAudit(const AuditFlags& flags) {
  auto policy = audit::LoadQuorumPolicy(flags.policy, flags.witnesses, flags.quorum);
  if (!policy) return Fail(kExUsage, policy.error());
  Result<tlog::NoteVerifier> key = audit::LogKeyFor(flags.vkey, *policy, flags.origin);
  if (!key) return Fail(kExUsage, key.error());
  const std::string origin = flags.origin.empty() ? key->name() : flags.origin;

  std::unique_ptr<audit::LogSource> source;
  const bool remote = IsUrl(flags.source);
  if (remote) {
    audit::HttpOptions options;
    options.request_timeout = std::chrono::seconds(flags.timeout_seconds);
    options.parallel = flags.parallel;
    auto http = audit::HttpSource::Open(flags.source, options);
    if (!http) return Fail(kExUsage, http.error());
    source = std::move(*http);
  } else {
    struct stat st {};
    if (::stat(flags.source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Fail(kExUsage, fmt::format("{}: not a folder (give a site's http(s) URL or a "
                                        "mirror folder)",
                                        flags.source));
    }
    source = std::make_unique<audit::FolderSource>(flags.source);
  }

  std::optional<std::string> previous;
  if (!flags.state.empty()) {
    Result<std::optional<std::string>> loaded = audit::LoadState(flags.state);
    if (!loaded) return Fail(kExitFailed, loaded.error());
    previous = std::move(*loaded);
  }

  audit::AuditOptions options;
  // A live site publishes its stats; a mirror folder may not, nor a tlog-mirror's copy
  // (served under <mirror>/<hex SHA-256 of the origin>, docs/mirror.md).
  options.require_stats = remote && !IsTlogMirrorCopy(flags.source, origin);
  ProgressLine progress;
  if (::isatty(STDERR_FILENO)) {
    options.progress = [&progress](const audit::AuditProgress& p) { progress.Show(p); };
  }
  Result<audit::AuditReport> report = audit::Audit(*source, *key, origin, previous, options);
  progress.Clear();
  if (!report) return Fail(kExitFailed, report.error());

  std::string line = audit::SummaryLine(*report);
  // The witnesses' quorum, before the checkpoint is saved as the one to extend next time.
  if (*policy) {
    auto quorum = audit::RequireQuorum(report->signed_checkpoint, **policy,
                                       source->Locate(audit::kCheckpointPath));
    if (!quorum) return Fail(kExitFailed, quorum.error());
    line += "; " + quorum->Describe() + " (quorum met)";
  }
  if (!flags.state.empty()) {
    if (Status s = audit::SaveState(flags.state, report->signed_checkpoint); !s) {
      return Fail(kExitFailed, fmt::format("the log verified, but its checkpoint was not saved: {}",
                                           s.message()));
    }
    if (!report->previous_size)
      line += fmt::format("; first audit, checkpoint saved to {}", flags.state);
  }
  fmt::print("{}\n", line);
  return 0;
}

}  // namespace

Subcommand AddAudit(CLI::App& app) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "Verify a log without trusting its site: the checkpoint's signature, every tile and entry "
      "bundle, consistency with the checkpoint of the last audit, and the published totals "
      "recomputed from the entries. Prints one line and exits 0 when all hold; exits 1 with "
      "the reason otherwise.");
  cmd->add_option("source", flags->source,
                  "The site's root URL (https://example.org) or a mirror folder holding log/")
      ->required();
  cmd->add_option("--vkey", flags->vkey,
                  "The log's verifier key, as `tuidang log key` prints it and the /log page shows "
                  "(optional with a --policy that lists the log)");
  cmd->add_option("--policy", flags->policy,
                  "A C2SP tlog-policy file (the /log page shows the log's): refuse a checkpoint "
                  "without its witnesses' quorum");
  cmd->add_option("--witness", flags->witnesses,
                  "A witness's cosignature verifier key (repeat for each witness)");
  cmd->add_option("--quorum", flags->quorum,
                  "How many of the --witness keys must have cosigned (default: all)");
  cmd->add_option("--state", flags->state,
                  "File keeping the last verified checkpoint: the log must extend it; it is then "
                  "replaced with the new one");
  cmd->add_option("--origin", flags->origin, "The log's origin line (default: the key's name)");
  cmd->add_option("--timeout", flags->timeout_seconds, "Seconds allowed for one HTTP request")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--parallel", flags->parallel, "HTTP requests in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  return {cmd, [flags] { return RunAudit(*flags); }};
}

}  // namespace tuidang::cli
