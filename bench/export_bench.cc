// The static export's speed (issue 6): build/bench/export_bench [statements] [days] [folder].
//
// Makes a database of `statements` published statements (default 1,000,000) spread over
// `days` days ending today (default 100) in a new folder under `folder` (default the
// system's temporary folder), integrates the log, then times
//   1. the baselines: reading every statement of every day from the store (the floor of any
//      export, which must at least read them), and creating 2,000 small files in the
//      folder (what creating a file costs on this disk now: on ext4 without a journal it
//      grows with the inodes deleted in the last minutes, see docs/performance.md);
//   2. a full export into an empty folder (goal: under 2 minutes for 1,000,000);
//   3. an incremental export after 1,000 new statements today (goal: under 5 s), checking
//      that the files of the closed days were not rewritten.
// Prints one line per measure; docs/performance.md records the results.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/day.h"
#include "core/receipt.h"
#include "export/exporter.h"
#include "log/integrator.h"
#include "store/sqlite/sqlite_store.h"

using namespace tuidang;
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

Status Publish(SqliteStore* store, int64_t count, int64_t* serial) {
  std::vector<Committed> out;
  for (int64_t done = 0; done < count;) {
    std::vector<Submission> batch;
    for (int i = 0; i < 4096 && done < count; ++i, ++done, ++*serial) {
      Submission s;
      s.statement.persons.push_back({fmt::format("王{}", *serial), false, kParty | kLeague});
      if (*serial % 4 == 0) s.statement.persons.push_back({"李华", true, kPioneers});
      s.statement.region = static_cast<Region>(1 + *serial % 30);
      s.statement.occupation = static_cast<Occupation>(*serial % 11);
      s.statement.text = "我声明退出中国共产党及其附属组织。";
      s.receipt_code = NewReceiptCode();
      batch.push_back(std::move(s));
    }
    if (Status st = store->CommitBatch(batch, &out); !st) return st;
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t statements = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int days = argc > 2 ? std::atoi(argv[2]) : 100;
  if (sodium_init() < 0) return 1;
  const fs::path base = argc > 3 ? fs::path(argv[3]) : fs::temp_directory_path();
  fs::path root = base / fmt::format("tuidang-export-bench-{}", ::getpid());
  fs::create_directories(root);
  auto store = SqliteStore::Open((root / "t.db").string());
  if (!store) return fmt::print(stderr, "{}\n", store.error()), 1;
  Day day = Today() - days + 1;
  (*store)->SetTodayForTesting([&day] { return day; });
  auto signer = tlog::NoteSigner::Generate("bench.example/log");
  auto start = std::chrono::steady_clock::now();
  int64_t serial = 0;
  for (int d = 0; d < days; ++d, ++day) {
    int64_t n = statements / days + (d < statements % days ? 1 : 0);
    if (Status s = Publish(store->get(), n, &serial); !s)
      return fmt::print(stderr, "{}\n", s.message()), 1;
  }
  day = Today();
  auto integrator =
      Integrator::Open(store->get(), &*signer, IntegratorOptions{"bench.example/log"});
  if (!integrator || !(*integrator)->IntegrateAll()) return fmt::print(stderr, "integrate\n"), 1;
  fmt::print("setup: {} statements over {} days, log integrated, in {:.1f} s\n", statements, days,
             Seconds(start));

  // 1. Baseline: read every statement, with its persons, day by day.
  start = std::chrono::steady_clock::now();
  int64_t read = 0;
  for (const DayCount& d : (*store)->GetTotals()->by_day) {
    for (int64_t before = 0;;) {
      auto batch = (*store)->ListDay(d.day, before, 0, 2000);
      if (!batch || batch->empty()) break;
      read += static_cast<int64_t>(batch->size());
      before = *batch->back().number;
      if (batch->size() < 2000) break;
    }
  }
  double baseline = Seconds(start);
  fmt::print("baseline: read {} statements in {:.2f} s\n", read, baseline);
  {
    constexpr int kFiles = 2000;
    const std::string page(2500, 'x');
    fs::create_directories(root / "create-test");
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < kFiles; ++i) {
      std::string path = (root / "create-test" / std::to_string(i)).string();
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || ::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) {
        return fmt::print(stderr, "{}: cannot write\n", path), 1;
      }
      ::close(fd);
    }
    fmt::print("baseline: creating a 2.5 KB file takes {:.0f} us here\n",
               Seconds(start) * 1e6 / kFiles);
  }

  auto catalog = web::Catalog::Load(web::Catalog::DefaultDir());
  if (!catalog) return fmt::print(stderr, "{}\n", catalog.error()), 1;
  exporter::ExportSource source{store->get(), &*catalog, "bench.example/log"};
  exporter::ExportOptions options;
  options.out = (root / "mirror").string();
  options.submit_urls = {"https://example.org"};
  options.verifier_key = signer->Verifier().VerifierKey();

  // 2. Full export.
  start = std::chrono::steady_clock::now();
  auto full = exporter::Export(source, *signer, options);
  if (!full) return fmt::print(stderr, "{}\n", full.error()), 1;
  double full_s = Seconds(start);
  fmt::print("full export: {} files ({} written) in {:.1f} s, {:.1f}x the baseline\n", full->files,
             full->written, full_s, full_s / baseline);

  // 3. Incremental export after 1,000 new statements today.
  // A closed day's files (the first day's) must stay as they are: same inode, same mtime.
  std::vector<std::pair<std::string, struct stat>> closed;
  const std::string first_day = FormatDay(Today() - days + 1);
  for (const char* prefix :
       {"statements/", "en/statements/", "certificates/", "zh-hant/certificates/"}) {
    std::string path = options.out + "/" + prefix + first_day + ".html";
    struct stat st {};
    if (days > 1 && ::stat(path.c_str(), &st) == 0) closed.emplace_back(path, st);
  }
  if (days > 1 && closed.size() != 4)
    return fmt::print(stderr, "the first day's pages are missing\n"), 1;
  if (Status s = Publish(store->get(), 1000, &serial); !s) return 1;
  if (!(*integrator)->IntegrateAll()) return 1;
  start = std::chrono::steady_clock::now();
  auto incremental = exporter::Export(source, *signer, options);
  if (!incremental) return fmt::print(stderr, "{}\n", incremental.error()), 1;
  double inc_s = Seconds(start);
  fmt::print(
      "incremental export after 1,000 statements: {} files, {} written, {} days rendered, "
      "in {:.2f} s, {:.2f}x the baseline\n",
      incremental->files, incremental->written, incremental->days_rendered, inc_s,
      inc_s / baseline);
  for (const auto& [path, before] : closed) {
    struct stat after {};
    if (::stat(path.c_str(), &after) != 0 || after.st_ino != before.st_ino ||
        after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
      return fmt::print(stderr, "{}: a closed day's page was rewritten\n", path), 1;
    }
  }
  if (!closed.empty())
    fmt::print("closed days: not rewritten (checked {} files of {})\n", closed.size(), first_day);
  if (!std::getenv("TUIDANG_KEEP")) fs::remove_all(root);
  return 0;
}
