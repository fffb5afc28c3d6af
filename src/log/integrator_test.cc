#include "log/integrator.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <sodium.h>

#include "log/tile_reader.h"
#include "store/sqlite/sqlite_store.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/proof.h"

namespace tuidang {

namespace {

class IntegratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir_ =
        std::filesystem::temp_directory_path() / ("tuidang-integrator-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
    auto signer = tlog::NoteSigner::Generate("example.org/log");
    ASSERT_TRUE(signer);
    signer_ = std::make_unique<tlog::NoteSigner>(std::move(*signer));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Publish(int n) {
    std::vector<Submission> batch;
    for (int i = 0; i < n; ++i) {
      Submission sub;
      sub.statement.persons.push_back({"p" + std::to_string(i), false, kParty});
      sub.receipt_code = NewReceiptCode();
      batch.push_back(std::move(sub));
    }
    std::vector<Committed> out;
    ASSERT_TRUE(store_->CommitBatch(batch, &out));
  }
  tlog::Checkpoint Latest() {
    auto latest = store_->LatestCheckpoint();
    EXPECT_TRUE(latest && latest->has_value());
    auto cp =
        tlog::OpenCheckpoint((*latest)->second, "example.org/log", std::array{signer_->Verifier()});
    EXPECT_TRUE(cp) << cp.error();
    return *cp;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<tlog::NoteSigner> signer_;
};

}  // namespace

TEST_F(IntegratorTest, CheckpointsCoverEveryLeafAndResume) {
  IntegratorOptions options{"example.org/log", std::chrono::milliseconds(10), 300};
  {
    auto in = Integrator::Open(store_.get(), signer_.get(), options);
    ASSERT_TRUE(in) << in.error();
    EXPECT_EQ(Latest().size, 0u);
    Publish(700);
    auto size = (*in)->IntegrateAll();
    ASSERT_TRUE(size) << size.error();
    EXPECT_EQ(*size, 700u);
  }
  // The root equals the RFC 6962 root of the stored leaves.
  auto leaves = store_->ReadLeaves(0, 700);
  ASSERT_TRUE(leaves);
  tlog::MemoryTree tree;
  for (const auto& e : *leaves) tree.AppendEntry(e);
  tlog::Checkpoint cp = Latest();
  EXPECT_EQ(cp.size, 700u);
  EXPECT_EQ(cp.root, tree.Root());
  // Steps of at most 300 leaves each published a checkpoint size.
  EXPECT_TRUE(*store_->PublishedSizeIn(300, 301));
  EXPECT_TRUE(*store_->PublishedSizeIn(600, 601));
  EXPECT_FALSE(*store_->PublishedSizeIn(301, 600));
  // The full level-0 tiles are stored, as the leaves hash (a proof reads one row for one);
  // the partial one at the right edge is not (it follows from its leaves).
  for (uint64_t t = 0; t < 2; ++t) {
    auto stored = store_->ReadHashTile(0, t);
    ASSERT_TRUE(stored && stored->has_value());
    EXPECT_EQ((*stored)->width, 256);
    std::string hashes;
    for (uint64_t i = t * 256; i < t * 256 + 256; ++i) {
      tlog::Hash h = tlog::LeafHash((*leaves)[i]);
      hashes.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    EXPECT_EQ((*stored)->data, hashes);
  }
  EXPECT_FALSE(store_->ReadHashTile(0, 2)->has_value());

  // A new integrator resumes from the stored tiles, and a withdrawal becomes a leaf.
  auto in = Integrator::Open(store_.get(), signer_.get(), options);
  ASSERT_TRUE(in) << in.error();
  ASSERT_TRUE(store_->Withdraw(5, WithdrawalReason::kFake));
  ASSERT_TRUE((*in)->IntegrateAll());
  cp = Latest();
  EXPECT_EQ(cp.size, 701u);
  auto last = store_->ReadLeaves(700, 701);
  auto parsed = DecodeLeaf((*last)[0]);
  ASSERT_TRUE(parsed && parsed->withdrawal);
  EXPECT_EQ(parsed->withdrawal->cancelled, 4u);  // statement 5 is leaf 4

  // Proofs from the stored tiles verify.
  StoreTileReader tiles(store_.get());
  tlog::TileHashReader reader(&tiles, cp.size);
  auto note = (*store_->LatestCheckpoint())->second;
  auto proof = tlog::MakeTlogProof(reader, 123, note);
  ASSERT_TRUE(proof) << proof.error();
  auto leaf = store_->ReadLeaves(123, 124);
  EXPECT_TRUE(tlog::VerifyTlogProof(*proof, tlog::LeafHash((*leaf)[0]), "example.org/log",
                                    std::array{signer_->Verifier()}));
  // The withdrawn statement is gone from the totals and the pages.
  EXPECT_EQ(store_->GetTotals()->statements, 699);
  EXPECT_FALSE(store_->GetPublished(5)->has_value());
  EXPECT_FALSE(store_->GetOpening(5)->has_value());
  EXPECT_EQ(store_->RecountTotals()->persons, 699);
}

// Two integrators on one log (two servers of one database): each takes up what the other
// published and extends it; the one behind never publishes its older view, and the stored
// log stays one tree.
TEST_F(IntegratorTest, AnIntegratorTakesUpWhatAnotherPublished) {
  IntegratorOptions options{"example.org/log", std::chrono::milliseconds(10), 1000};
  std::vector<uint64_t> sizes;
  options.on_checkpoint = [&](uint64_t size, const std::string&) { sizes.push_back(size); };
  auto a = Integrator::Open(store_.get(), signer_.get(), options);
  ASSERT_TRUE(a) << a.error();
  auto b = Integrator::Open(store_.get(), signer_.get(), options);
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(sizes, (std::vector<uint64_t>{0})) << "b found the log a started";
  Publish(300);
  ASSERT_EQ(*(*a)->IntegrateAll(), 300u);
  Publish(10);
  auto size = (*b)->IntegrateAll();  // b was at 0: it resumes at 300, then extends
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, 310u);
  size = (*a)->IntegrateAll();  // nothing new: a takes up 310 and publishes nothing
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, 310u);
  Publish(5);
  ASSERT_EQ(*(*a)->IntegrateAll(), 315u);
  EXPECT_EQ(sizes, (std::vector<uint64_t>{0, 300, 310, 315})) << "each size published once";
  auto leaves = store_->ReadLeaves(0, 315);
  ASSERT_TRUE(leaves);
  tlog::MemoryTree tree;
  for (const auto& e : *leaves) tree.AppendEntry(e);
  EXPECT_EQ(Latest().root, tree.Root());
}

TEST_F(IntegratorTest, OpeningRecomputesTheLeaf) {
  Publish(3);
  auto opening = store_->GetOpening(2);
  ASSERT_TRUE(opening && opening->has_value());
  auto leaves = store_->ReadLeaves(1, 2);
  auto parsed = DecodeLeaf((*leaves)[0]);
  ASSERT_TRUE(parsed && parsed->statement);
  EXPECT_EQ(parsed->statement->commitment, Commit((*opening)->salt, (*opening)->record));
  EXPECT_EQ((*opening)->salt.size(), kSaltSize);
}

}  // namespace tuidang
