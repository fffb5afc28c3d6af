// Speed of the log's hot paths. The claim to hold: integrating 1,000,000 entries, tiles and
// bundles included, takes well under 2 s on one core.
//
//   tlog_bench --benchmark_filter=Append
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "tlog/builder.h"
#include "tlog/merkle.h"
#include "tlog/tile.h"

namespace tuidang::tlog {
namespace {

// About the size of a statement leaf: a few fields and a 32-byte commitment.
std::vector<std::string> Entries(size_t count) {
  std::vector<std::string> entries;
  entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string entry(48, '\0');
    for (size_t j = 0; j < 8; ++j) entry[j] = static_cast<char>(i >> (8 * j));
    entries.push_back(std::move(entry));
  }
  return entries;
}

// Appends 1,000,000 entries in batches of state.range(0), as the integrator would.
void BM_AppendMillion(benchmark::State& state) {
  const size_t kTotal = 1000000;
  const size_t batch = static_cast<size_t>(state.range(0));
  const std::vector<std::string> entries = Entries(kTotal);
  for (auto _ : state) {
    TreeBuilder builder;
    size_t bytes = 0;
    for (size_t begin = 0; begin < kTotal; begin += batch) {
      const size_t end = std::min(kTotal, begin + batch);
      Result<AppendResult> result = builder.Append(std::span(entries).subspan(begin, end - begin));
      for (const TileContent& tile : result->tiles) bytes += tile.data.size();
    }
    benchmark::DoNotOptimize(bytes);
    benchmark::DoNotOptimize(builder.Root());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTotal));
}
BENCHMARK(BM_AppendMillion)->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_InclusionProofFromTiles(benchmark::State& state) {
  const size_t kSize = 1000000;
  TreeBuilder builder;
  MemoryTileStore store;
  const std::vector<TileContent> tiles = builder.Append(Entries(kSize))->tiles;
  for (const TileContent& tile : tiles) store.Put(tile.id, tile.data);
  uint64_t index = 0;
  for (auto _ : state) {
    TileHashReader reader(&store, kSize);  // one reader per request: a cold cache
    benchmark::DoNotOptimize(InclusionProof(reader, index, kSize));
    index = (index + 7919) % kSize;
  }
}
BENCHMARK(BM_InclusionProofFromTiles)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tuidang::tlog

BENCHMARK_MAIN();
