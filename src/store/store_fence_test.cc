// Several integrators on one PostgreSQL database (docs/postgres.md, "How the log is
// integrated"): servers that all integrate publish one log, each size once, every checkpoint
// extending the one before; an integrator holding the integration row fences the others off
// until its session ends.
#include <algorithm>
#include <thread>

#include "log/integrator.h"
#include "store/store_contract.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"

namespace tuidang::test {

namespace {

constexpr std::string_view kOrigin = "fence.example/log";

struct Published {
  Mutex mu;
  std::vector<uint64_t> sizes GUARDED_BY(mu);  // every checkpoint an integrator stored
};

std::vector<Submission> Batch(int n, int server) {
  std::vector<Submission> batch;
  for (int k = 0; k < n; ++k) {
    Submission sub;
    sub.statement.persons.push_back({"s" + std::to_string(server), false, kParty});
    sub.receipt_code = NewReceiptCode();
    batch.push_back(std::move(sub));
  }
  return batch;
}

// Every stored checkpoint of the database, by size.
std::vector<std::pair<uint64_t, std::string>> StoredCheckpoints(const std::string& conninfo) {
  std::vector<std::pair<uint64_t, std::string>> out;
  auto c = pg::Conn::Connect(conninfo);
  EXPECT_TRUE(c) << c.error();
  if (!c) return out;
  auto rows = (*c)->Exec("SELECT size, note FROM checkpoints ORDER BY size");
  EXPECT_TRUE(rows) << rows.error();
  if (!rows) return out;
  for (int i = 0; i < rows->size(); ++i) {
    out.emplace_back(static_cast<uint64_t>(rows->Int(i, 0)), rows->Text(i, 1));
  }
  return out;
}

}  // namespace

TEST(PostgresOnly, IntegratorsOfSeveralServersPublishOneLog) {
  ASSERT_FALSE(TestPostgresUrl().empty())
      << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
  ASSERT_GE(sodium_init(), 0);
  PostgresSchema schema;
  ASSERT_TRUE(schema.error().empty()) << schema.error();
  auto signer = tlog::NoteSigner::Generate(std::string(kOrigin));
  ASSERT_TRUE(signer) << signer.error();
  constexpr int kServers = 3, kSteps = 12, kPerBatch = 40;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kServers; ++i) {
    auto s = PostgresStore::Open(schema.conninfo());
    ASSERT_TRUE(s) << s.error();
    stores.push_back(std::move(*s));
  }
  Published published;
  std::vector<std::unique_ptr<Integrator>> integrators(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      // All start at once on an empty log: one of them publishes the empty tree.
      IntegratorOptions options{std::string(kOrigin), std::chrono::milliseconds(10), 50};
      options.on_checkpoint = [&](uint64_t size, const std::string&) {
        MutexLock lock(&published.mu);
        published.sizes.push_back(size);
      };
      auto in = Integrator::Open(stores[i].get(), &*signer, options);
      ASSERT_TRUE(in) << in.error();
      integrators[i] = std::move(*in);
      for (int step = 0; step < kSteps; ++step) {
        auto batch = Batch(kPerBatch, i);
        std::vector<Committed> out;
        Status s = stores[i]->CommitBatch(batch, &out);
        ASSERT_TRUE(s) << s.message();
        auto size = integrators[i]->IntegrateAll();
        ASSERT_TRUE(size) << size.error();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto last = integrators[1]->IntegrateAll();  // whatever an integrator left to the others
  ASSERT_TRUE(last) << last.error();
  const uint64_t leaves = kServers * kSteps * kPerBatch;
  EXPECT_EQ(*last, leaves);

  // Each stored checkpoint was published by exactly one integrator, verifies with the log's
  // key, and has the root of the leaves it covers: one log, whoever integrated.
  auto stored = StoredCheckpoints(schema.conninfo());
  std::vector<uint64_t> sizes;
  {
    MutexLock lock(&published.mu);
    sizes = published.sizes;
  }
  std::sort(sizes.begin(), sizes.end());
  ASSERT_EQ(sizes.size(), stored.size()) << "a checkpoint stored twice, or one not stored";
  auto all = stores[2]->ReadLeaves(0, leaves);
  ASSERT_TRUE(all) << all.error();
  tlog::MemoryTree tree;
  uint64_t covered = 0;
  for (size_t k = 0; k < stored.size(); ++k) {
    const auto& [size, note] = stored[k];
    EXPECT_EQ(sizes[k], size);
    auto cp = tlog::OpenCheckpoint(note, kOrigin, std::array{signer->Verifier()});
    ASSERT_TRUE(cp) << cp.error();
    ASSERT_EQ(cp->size, size);
    for (; covered < size; ++covered) tree.AppendEntry((*all)[covered]);
    EXPECT_EQ(cp->root, tree.Root()) << "checkpoint " << size;
  }
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.front().first, 0u);
  EXPECT_EQ(stored.back().first, leaves);
}

TEST(PostgresOnly, AnIntegratorHoldingTheRowFencesTheOthersUntilItsSessionEnds) {
  ASSERT_FALSE(TestPostgresUrl().empty())
      << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
  ASSERT_GE(sodium_init(), 0);
  PostgresSchema schema;
  ASSERT_TRUE(schema.error().empty()) << schema.error();
  auto signer = tlog::NoteSigner::Generate(std::string(kOrigin));
  ASSERT_TRUE(signer) << signer.error();
  auto store = PostgresStore::Open(schema.conninfo());
  ASSERT_TRUE(store) << store.error();
  auto in = Integrator::Open(store->get(), &*signer, IntegratorOptions{std::string(kOrigin)});
  ASSERT_TRUE(in) << in.error();
  auto batch = Batch(5, 0);
  std::vector<Committed> out;
  ASSERT_TRUE((*store)->CommitBatch(batch, &out));

  // Another server's integrator inside its transaction, holding the integration row.
  auto holder = pg::Conn::Connect(schema.conninfo());
  ASSERT_TRUE(holder) << holder.error();
  ASSERT_TRUE((*holder)->Run("BEGIN"));
  auto locked = (*holder)->Exec("SELECT 1 FROM meta WHERE key = 'log_integration' FOR UPDATE");
  ASSERT_TRUE(locked && locked->size() == 1) << (locked ? "no integration row" : locked.error());
  auto pid = (*holder)->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid && pid->size() == 1) << (pid ? "no pid" : pid.error());
  const int64_t holder_pid = pid->Int(0, 0);
  auto size = (*in)->IntegrateAll();
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, 0u) << "fenced off: the leaves are left to the holder";
  EXPECT_EQ((*(*store)->LatestCheckpoint())->first, 0u);

  // Its session ends (lost, killed, or cut off when idle): the row is free again.
  // The server ends the backend after the client has gone, not at once: wait (up to 10 s)
  // until it has, as the next round of a real integrator would.
  holder->reset();
  auto watcher = pg::Conn::Connect(schema.conninfo());
  ASSERT_TRUE(watcher) << watcher.error();
  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) {
    auto alive = (*watcher)->Exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1",
                                  pg::Params().Int(holder_pid));
    ASSERT_TRUE(alive) << alive.error();
    gone = alive->empty();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(gone) << "the holder's backend did not end within 10 s";
  size = (*in)->IntegrateAll();
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, 5u);
  EXPECT_EQ((*(*store)->LatestCheckpoint())->first, 5u);
}

}  // namespace tuidang::test
