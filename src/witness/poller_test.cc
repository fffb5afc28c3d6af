#include "witness/poller.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/temp_dir.h"
#include "tlog/builder.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/hash.h"

namespace tuidang::witness {
namespace {

constexpr std::string_view kOrigin = "example.org/log";

// A tile log in memory, served as its tlog-tiles prefix would be ("checkpoint", "tile/...").
struct PolledTestLog {
  // Logs made with the same `seed_byte` share the key: a fork or an old copy of one log.
  explicit PolledTestLog(uint8_t seed_byte = 7) : signer(Signer(seed_byte)) {}
  static tlog::NoteSigner Signer(uint8_t seed_byte) {
    tlog::Ed25519Seed seed{};
    seed.fill(seed_byte);
    return std::move(*tlog::NoteSigner::FromSeed(kOrigin, seed));
  }

  void Append(int n, std::string_view tag = "entry") {
    std::vector<std::string> batch;
    for (int i = 0; i < n; ++i) batch.push_back(std::string(tag) + std::to_string(size + i));
    auto appended = builder.Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.error();
    for (const tlog::TileContent& t : appended->tiles) source.Put(tlog::TilePath(t.id), t.data);
    size = builder.size();
    Publish();
  }
  void Publish() {
    source.Put("checkpoint",
               *tlog::SignCheckpoint({std::string(kOrigin), size, builder.Root(), {}}, signer));
  }

  tlog::NoteSigner signer;
  tlog::TreeBuilder builder;
  audit::MemorySource source;
  uint64_t size = 0;
};

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = WitnessState::Open(dir_.File("witness.db"));
    ASSERT_TRUE(state.ok()) << state.error();
    state_ = std::move(*state);
    auto cosigner = tlog::Cosigner::Generate("witness.example/w");
    ASSERT_TRUE(cosigner.ok());
    auto witness = Witness::Create({{std::string(kOrigin), {log_.signer.Verifier()}}},
                                   std::move(*cosigner), state_.get(), [] { return 1700000000; });
    ASSERT_TRUE(witness.ok()) << witness.error();
    witness_ = std::move(*witness);
  }

  PollOutcome Poll(audit::LogSource& source) {
    return PollOnce(*witness_, *state_, std::string(kOrigin), source);
  }
  uint64_t Head() {
    auto head = state_->Latest(kOrigin);
    EXPECT_TRUE(head.ok());
    return head->has_value() ? (*head)->size : 0;
  }

  test::TempDir dir_;
  PolledTestLog log_;
  std::unique_ptr<WitnessState> state_;
  std::unique_ptr<Witness> witness_;
};

TEST_F(PollerTest, CosignsGrowsWithProofsFromTheTilesAndSkipsTheSameHead) {
  log_.Append(5);
  PollOutcome first = Poll(log_.source);
  EXPECT_EQ(first.kind, PollOutcome::kCosigned) << first.message;
  EXPECT_EQ(Head(), 5u);
  EXPECT_EQ(Poll(log_.source).kind, PollOutcome::kUnchanged);

  // Across a full tile and into the next: the proof needs tiles the poller fetches.
  log_.Append(300);
  PollOutcome grown = Poll(log_.source);
  EXPECT_EQ(grown.kind, PollOutcome::kCosigned) << grown.message;
  EXPECT_EQ(grown.size, 305u);
  EXPECT_EQ(Head(), 305u);
  // The monitoring endpoint serves it with the witness's cosignature.
  Answer monitored = witness_->MonitoredCheckpoint(tlog::HashToHex(tlog::Sha256(kOrigin)));
  EXPECT_EQ(monitored.status, 200);
  EXPECT_NE(monitored.body.find("\u2014 witness.example/w "), std::string::npos) << monitored.body;
}

TEST_F(PollerTest, AForkARollbackAndAForeignKeyAreConflictsAndStoreNothing) {
  log_.Append(10);
  ASSERT_EQ(Poll(log_.source).kind, PollOutcome::kCosigned);

  // The same key and origin, another history, a larger tree: its tiles lead elsewhere.
  PolledTestLog fork;
  fork.Append(20, "forged");
  PollOutcome forked = Poll(fork.source);
  EXPECT_EQ(forked.kind, PollOutcome::kConflict);
  EXPECT_NE(forked.message.find("422"), std::string::npos) << forked.message;
  EXPECT_EQ(Head(), 10u);

  // A rollback: the log serves a smaller tree than the one cosigned.
  PolledTestLog old;
  old.Append(4);
  PollOutcome rolled = Poll(old.source);
  EXPECT_EQ(rolled.kind, PollOutcome::kConflict);
  EXPECT_NE(rolled.message.find("rollback"), std::string::npos) << rolled.message;
  EXPECT_EQ(Head(), 10u);

  // Another key for the origin.
  PolledTestLog stranger(9);
  stranger.Append(20);
  PollOutcome foreign = Poll(stranger.source);
  EXPECT_EQ(foreign.kind, PollOutcome::kConflict);
  EXPECT_NE(foreign.message.find("not a checkpoint signed by the log's key"), std::string::npos)
      << foreign.message;
  EXPECT_EQ(Head(), 10u);
}

TEST_F(PollerTest, AMissingTileOrCheckpointIsRetriedLater) {
  audit::MemorySource empty;
  EXPECT_EQ(Poll(empty).kind, PollOutcome::kRetry);
  log_.Append(300);
  ASSERT_EQ(Poll(log_.source).kind, PollOutcome::kCosigned);
  log_.Append(10);
  log_.source.Erase("tile/0/001.p/54");
  PollOutcome missing = Poll(log_.source);
  EXPECT_EQ(missing.kind, PollOutcome::kRetry);
  EXPECT_NE(missing.message.find("consistency proof"), std::string::npos) << missing.message;
  EXPECT_EQ(Head(), 300u);
}

}  // namespace
}  // namespace tuidang::witness
