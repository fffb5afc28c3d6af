// Benchmark of the log's integration (issue 3): integrating 1,000,000 leaves, tile writes
// and checkpoints included, against a baseline measured in the same run (hashing the same
// entries with SHA-256 alone). Also reports the storage the log costs per leaf beyond the
// entries themselves.
//
// usage: build/bench/log_bench [leaves]   (default 1000000)
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <sqlite3.h>

#include "log/integrator.h"
#include "store/sqlite/sqlite_store.h"
#include "tlog/builder.h"
#include "tlog/hash.h"

using namespace tuidang;
using Clock = std::chrono::steady_clock;

static double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

static int64_t TableBytes(const std::string& db, const char* table) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  int64_t bytes = -1;
  std::string sql = fmt::format("SELECT SUM(pgsize) FROM dbstat WHERE name = '{}'", table);
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    bytes = sqlite3_column_int64(q, 0);
  }
  sqlite3_finalize(q);
  sqlite3_close(h);
  return bytes;
}

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const uint64_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
  auto dir = std::filesystem::temp_directory_path() / fmt::format("tuidang-log-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  std::string db = (dir / "bench.db").string();
  auto store = SqliteStore::Open(db);
  if (!store) {
    fmt::print(stderr, "{}\n", store.error());
    return 1;
  }

  // Setup: publish n statements (each appends its leaf), in large batches.
  auto t0 = Clock::now();
  constexpr uint64_t kBatch = 20000;
  for (uint64_t done = 0; done < n;) {
    std::vector<Submission> batch;
    for (uint64_t i = 0; i < kBatch && done < n; ++i, ++done) {
      Submission s;
      s.statement.persons.push_back({fmt::format("化名{}", done), false, kParty | kLeague});
      s.statement.text = "我声明退出中共及其附属组织。";
      s.receipt_code = NewReceiptCode();
      batch.push_back(std::move(s));
    }
    std::vector<Committed> out;
    if (Status st = (*store)->CommitBatch(batch, &out); !st) {
      fmt::print(stderr, "{}\n", st.message());
      return 1;
    }
  }
  double publish_s = Seconds(t0);

  // Baseline: read the entries and hash them (SHA-256 alone, what the spec's hashing costs).
  t0 = Clock::now();
  tlog::Hash acc{};
  for (uint64_t b = 0; b < n; b += 65536) {
    auto leaves = (*store)->ReadLeaves(b, std::min(n, b + 65536));
    for (const auto& e : *leaves) acc[0] ^= tlog::LeafHash(e)[0];
  }
  double hash_s = Seconds(t0);

  // The integrator: read, build tiles, store tiles and a signed checkpoint per step.
  auto signer = tlog::NoteSigner::Generate("bench.example/log");
  auto integrator =
      Integrator::Open(store->get(), &*signer, IntegratorOptions{"bench.example/log"});
  if (!integrator) {
    fmt::print(stderr, "{}\n", integrator.error());
    return 1;
  }
  t0 = Clock::now();
  auto size = (*integrator)->IntegrateAll();
  double integrate_s = Seconds(t0);
  if (!size || *size != n) {
    fmt::print(stderr, "integration failed: {}\n", size ? "wrong size" : size.error());
    return 1;
  }
  store->reset();

  int64_t leaves_bytes = TableBytes(db, "leaves");
  int64_t tiles_bytes = TableBytes(db, "tiles");
  int64_t sizes_bytes = TableBytes(db, "checkpoint_sizes");
  fmt::print("machine: {} cores\n", sysconf(_SC_NPROCESSORS_ONLN));
  fmt::print("publish {} statements (setup, batches of {}): {:.2f} s, {:.0f}/s\n", n, kBatch,
             publish_s, n / publish_s);
  fmt::print(
      "baseline: read + SHA-256 of {} entries: {:.3f} s, {:.0f} leaves/s (checksum {:02x})\n", n,
      hash_s, n / hash_s, acc[0]);
  fmt::print(
      "integrate {} leaves (tiles + checkpoints stored): {:.3f} s, {:.0f} leaves/s, "
      "ratio to baseline {:.2f}\n",
      n, integrate_s, n / integrate_s, hash_s / integrate_s);
  fmt::print(
      "storage: entries (leaves table) {:.1f} B/leaf; beyond them: tiles {:.2f} B/leaf, "
      "checkpoint sizes {:.3f} B/leaf\n",
      static_cast<double>(leaves_bytes) / n, static_cast<double>(tiles_bytes) / n,
      static_cast<double>(sizes_bytes) / n);
  std::filesystem::remove_all(dir);
  return 0;
}
