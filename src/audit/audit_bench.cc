// Speed of a whole audit. The claim to hold: a log of 1,000,000 statement leaves is audited
// (bundles and tiles checked, root and totals recomputed) in a few seconds on one core, so
// the cost of auditing a remote site is its download, not the checking.
//
//   audit_bench --benchmark_filter=AuditMillion
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "core/leaf.h"
#include "tlog/builder.h"

namespace tuidang::audit {
namespace {

struct BenchLog {
  MemorySource source;
  tlog::NoteVerifier verifier = *tlog::NoteVerifier::FromPublicKey("bench/log", {});
};

// A million statement leaves over 100 days, 1% of them withdrawn, with matching stats.
BenchLog& MillionLeafLog() {
  static BenchLog* log = [] {
    auto* log = new BenchLog;
    tlog::Ed25519Seed seed{};
    tlog::NoteSigner signer = std::move(*tlog::NoteSigner::FromSeed("bench/log", seed));
    log->verifier = signer.Verifier();
    tlog::TreeBuilder builder;
    std::vector<std::string> all;  // for the tally's withdrawals, while the log is built
    Tally tally([&all](uint64_t i) -> Result<std::string> { return all.at(i); });
    const uint64_t kTotal = 1000000;
    std::vector<std::string> batch;
    for (uint64_t i = 0; i < kTotal; ++i) {
      std::string entry;
      if (i % 100 == 99) {
        entry = EncodeLeaf(
            WithdrawalLeaf{20780 + static_cast<Day>(i / 10000), WithdrawalReason::kFake, i - 50});
      } else {
        StatementLeaf leaf{20780 + static_cast<Day>(i / 10000),
                           Channel::kWeb,
                           static_cast<uint16_t>(1 + i % 3),
                           1,
                           static_cast<uint16_t>(i % 2),
                           0,
                           {}};
        leaf.commitment[0] = static_cast<uint8_t>(i);
        entry = EncodeLeaf(leaf);
      }
      (void)tally.Add(i, entry);
      all.push_back(entry);
      batch.push_back(std::move(entry));
      if (batch.size() == 10000 || i + 1 == kTotal) {
        Result<tlog::AppendResult> appended = builder.Append(batch);
        for (const tlog::TileContent& t : appended->tiles) {
          log->source.Put("log/" + tlog::TilePath(t.id), t.data);
        }
        batch.clear();
      }
    }
    log->source.Put(
        "log/checkpoint",
        *tlog::SignCheckpoint({"bench/log", builder.size(), builder.Root(), {}}, signer));
    const Totals& t = tally.totals();
    std::string days;
    for (const auto& [day, d] : t.by_day) {
      days += (days.empty() ? "" : ",") + std::string("{\"date\":\"") + FormatDay(day) +
              "\",\"persons\":" + std::to_string(d.persons) +
              ",\"statements\":" + std::to_string(d.statements) + "}";
    }
    log->source.Put("api/v1/stats",
                    "{\"total_persons\":" + std::to_string(t.persons) +
                        ",\"total_statements\":" + std::to_string(t.statements) +
                        ",\"persons_by_organisation\":{\"party\":" + std::to_string(t.party) +
                        ",\"league\":" + std::to_string(t.league) + ",\"pioneers\":" +
                        std::to_string(t.pioneers) + "},\"by_day\":[" + days + "]}");
    return log;
  }();
  return *log;
}

void BM_AuditMillion(benchmark::State& state) {
  BenchLog& log = MillionLeafLog();
  for (auto _ : state) {
    Result<AuditReport> report = Audit(log.source, log.verifier, "bench/log", std::nullopt);
    if (!report) {
      state.SkipWithError(report.error().c_str());
      return;
    }
    benchmark::DoNotOptimize(report->totals.persons);
  }
  state.SetItemsProcessed(state.iterations() * 1000000);
}
BENCHMARK(BM_AuditMillion)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same log as a mirror folder: about 7,800 files read.
void BM_AuditMillionFolder(benchmark::State& state) {
  BenchLog& log = MillionLeafLog();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("audit_bench_" + std::to_string(::getpid()));
  for (const std::string& path : log.source.Paths()) {
    std::filesystem::create_directories((dir / path).parent_path());
    std::ofstream(dir / path, std::ios::binary) << *log.source.Find(path);
  }
  FolderSource folder(dir.string());
  for (auto _ : state) {
    Result<AuditReport> report = Audit(folder, log.verifier, "bench/log", std::nullopt);
    if (!report) {
      state.SkipWithError(report.error().c_str());
      break;
    }
    benchmark::DoNotOptimize(report->totals.persons);
  }
  state.SetItemsProcessed(state.iterations() * 1000000);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditMillionFolder)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tuidang::audit

BENCHMARK_MAIN();
