// The auditor's memory does not grow with the log (issue 13): a whole Audit of a log of N
// leaves and of 16 N leaves, with the same days and withdrawals, is watched through the
// heap itself (every operator new of this binary is counted), so per-leaf state coming back
// anywhere in the walk (the tally, the upper levels, the rereader) fails this test, whatever
// the code says it holds. Its own binary: the counting replaces the global allocator.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "audit/audit.h"
#include "core/leaf.h"
#include "tlog/builder.h"
#include "tlog/checkpoint.h"

namespace {

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void Note(int64_t delta) {
  const int64_t now = g_live.fetch_add(delta, std::memory_order_relaxed) + delta;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  Note(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  Note(-static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace tuidang::audit {
namespace {

constexpr Day kDay = 20000;
constexpr int kDays = 30;
constexpr uint64_t kWithdrawals = 40;

// A log of `size` statement leaves over kDays days and kWithdrawals withdrawals (of leaves
// spread over the log), in memory as a site serves it.
MemorySource MakeLog(uint64_t size, tlog::NoteVerifier* verifier) {
  tlog::Ed25519Seed seed{};
  tlog::NoteSigner signer = std::move(*tlog::NoteSigner::FromSeed("example.org/log", seed));
  *verifier = signer.Verifier();
  MemorySource source;
  tlog::TreeBuilder builder;
  std::vector<std::string> batch;
  const uint64_t every = size / kWithdrawals;
  for (uint64_t i = 0; i < size; ++i) {
    if (i % every == every - 1) {
      batch.push_back(EncodeLeaf(WithdrawalLeaf{kDay, WithdrawalReason::kFake, i - every / 2}));
    } else {
      StatementLeaf leaf{kDay + static_cast<Day>(i % kDays), Channel::kWeb, 2, 1, 1, 0, {}};
      leaf.commitment[0] = static_cast<uint8_t>(i);
      leaf.commitment[1] = static_cast<uint8_t>(i >> 8);
      batch.push_back(EncodeLeaf(leaf));
    }
    if (batch.size() == 8192 || i + 1 == size) {
      Result<tlog::AppendResult> appended = builder.Append(batch);
      EXPECT_TRUE(appended.ok());
      for (const tlog::TileContent& t : appended->tiles) {
        source.Put("log/" + tlog::TilePath(t.id), t.data);
      }
      batch.clear();
    }
  }
  source.Put(
      std::string(kCheckpointPath),
      *tlog::SignCheckpoint({"example.org/log", builder.size(), builder.Root(), {}}, signer));
  return source;
}

// The heap's peak during an audit of a log of `size` leaves, above what was live before it.
int64_t AuditPeak(uint64_t size) {
  tlog::NoteVerifier verifier;
  MemorySource source = MakeLog(size, &verifier);
  g_peak.store(g_live.load());
  const int64_t before = g_live.load();
  Result<AuditReport> report = Audit(source, verifier, "example.org/log", std::nullopt);
  const int64_t peak = g_peak.load() - before;
  EXPECT_TRUE(report.ok()) << report.error();
  if (report.ok()) {
    EXPECT_EQ(report->withdrawals, kWithdrawals);
    EXPECT_EQ(report->totals.by_day.size(), static_cast<size_t>(kDays));
    EXPECT_EQ(report->totals.statements, size - 2 * kWithdrawals);
  }
  return peak;
}

TEST(AuditMemoryTest, PeakDoesNotGrowWithTheLeaves) {
  const int64_t small = AuditPeak(uint64_t{1} << 15);  // 128 level-0 tiles
  const int64_t large = AuditPeak(uint64_t{1} << 19);  // 2,048 level-0 tiles
  RecordProperty("peak_small", std::to_string(small));
  RecordProperty("peak_large", std::to_string(large));
  std::printf("audit heap peak: %lld bytes at 32,768 leaves, %lld at 524,288 (ratio %.2f)\n",
              static_cast<long long>(small), static_cast<long long>(large),
              static_cast<double>(large) / static_cast<double>(small));
  // 16 times the leaves: per-leaf state (16 bytes each, as the auditor kept until the ninth
  // session) would add 8 MB to a peak of about 2 MB; the batches of tiles are the same.
  EXPECT_LT(static_cast<double>(large), 1.25 * static_cast<double>(small));
}

}  // namespace
}  // namespace tuidang::audit
