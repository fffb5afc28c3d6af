// The log's add-checkpoint client against tuidang's own witness (witness/witness.h) in
// memory, and against scripted answers for the statuses a witness of another make may give.
#include "log/witness_client.h"

#include <gtest/gtest.h>

#include <deque>

#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "witness/witness.h"

namespace tuidang {
namespace {

constexpr std::string_view kOrigin = "example.org/log";

struct MemoryLog : ConsistencySource {
  MemoryLog() : signer(std::move(*tlog::NoteSigner::Generate(kOrigin))) {}
  void Append(int n, std::string_view tag = "e") {
    for (int i = 0; i < n; ++i) tree.AppendEntry(std::string(tag) + std::to_string(tree.size()));
  }
  OfferedCheckpoint Offer() const {
    return {tree.size(),
            *tlog::SignCheckpoint({std::string(kOrigin), tree.size(), tree.Root(), {}}, signer)};
  }
  Result<std::vector<tlog::Hash>> Consistency(uint64_t old_size, uint64_t new_size) override {
    ++proofs;
    return tlog::ConsistencyProof(tree, old_size, new_size);
  }
  tlog::NoteSigner signer;
  tlog::MemoryTree tree;
  int proofs = 0;
};

// Sends each request to a witness::Witness, or answers from a script when one is queued.
struct FakePoster : HttpPoster {
  Result<HttpReply> Post(const std::string& url, const std::string& body) override {
    urls.push_back(url);
    bodies.push_back(body);
    if (!script.empty()) {
      auto r = script.front();
      script.pop_front();
      return r;
    }
    witness::Answer a = target->AddCheckpoint(body);
    std::string type = a.content_type.substr(0, a.content_type.find(';'));
    return HttpReply{a.status, type, a.body};
  }
  witness::Witness* target = nullptr;
  std::deque<Result<HttpReply>> script;
  std::vector<std::string> urls, bodies;
};

class WitnessClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = witness::WitnessState::Open(dir_.File("w.db"));
    ASSERT_TRUE(state.ok()) << state.error();
    state_ = std::move(*state);
    auto cosigner = tlog::Cosigner::Generate("w.example/w1");
    verifier_ = cosigner->Verifier().VerifierKey();
    auto w = witness::Witness::Create({{std::string(kOrigin), {log_.signer.Verifier()}}},
                                      std::move(*cosigner), state_.get());
    ASSERT_TRUE(w.ok()) << w.error();
    witness_ = std::move(*w);
    http_.target = witness_.get();
    auto policy =
        tlog::Policy::Parse("witness w1 " + verifier_ + " http://w.example/\nquorum w1\n");
    ASSERT_TRUE(policy.ok()) << policy.error();
    policy_ = std::make_unique<tlog::Policy>(std::move(*policy));
  }
  WitnessOutcome Ask(std::optional<uint64_t> known) {
    return AskWitness(http_, policy_->witnesses()[0], log_, log_.Offer(), known);
  }

  test::TempDir dir_;
  MemoryLog log_;
  std::string verifier_;
  std::unique_ptr<witness::WitnessState> state_;
  std::unique_ptr<witness::Witness> witness_;
  FakePoster http_;
  std::unique_ptr<tlog::Policy> policy_;
};

TEST_F(WitnessClientTest, CosignsThenCatchesUpWithOneProof) {
  log_.Append(3);
  WitnessOutcome first = Ask(std::nullopt);
  ASSERT_EQ(first.kind, WitnessOutcome::kCosigned) << first.message;
  EXPECT_EQ(http_.urls[0], "http://w.example/add-checkpoint");
  EXPECT_TRUE(http_.bodies[0].starts_with("old 0\n\n"));
  // The line verifies with the witness's key over our checkpoint.
  auto note = tlog::ParseNote(log_.Offer().signed_note + first.cosignature);
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_TRUE(policy_->Check(*note).met);
  EXPECT_GT(first.timestamp, 0u);

  log_.Append(40);
  WitnessOutcome second = Ask(3);
  ASSERT_EQ(second.kind, WitnessOutcome::kCosigned) << second.message;
  EXPECT_EQ(http_.bodies.size(), 2u);  // one request, one proof
  EXPECT_EQ(second.requests, 1);
  EXPECT_EQ(log_.proofs, 1);
  EXPECT_TRUE(http_.bodies[1].starts_with("old 3\n"));
}

TEST_F(WitnessClientTest, LearnsTheSizeFromA409AndRetriesOnce) {
  log_.Append(5);
  ASSERT_EQ(Ask(std::nullopt).kind, WitnessOutcome::kCosigned);
  log_.Append(7);
  // After a restart the log knows nothing: old 0, a 409 with the size, then the proof.
  WitnessOutcome o = Ask(std::nullopt);
  ASSERT_EQ(o.kind, WitnessOutcome::kCosigned) << o.message;
  ASSERT_EQ(http_.bodies.size(), 3u);
  EXPECT_TRUE(http_.bodies[1].starts_with("old 0\n\n"));
  EXPECT_TRUE(http_.bodies[2].starts_with("old 5\n"));
  EXPECT_EQ(o.witness_size, 12u);
  EXPECT_EQ(o.requests, 2);
}

TEST_F(WitnessClientTest, AForkIsAConflictAndARollbackTooAndNeitherIsCosigned) {
  log_.Append(8);
  ASSERT_EQ(Ask(std::nullopt).kind, WitnessOutcome::kCosigned);
  MemoryLog fork;
  fork.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  fork.Append(4);
  fork.Append(6, "other");
  WitnessOutcome forked = AskWitness(http_, policy_->witnesses()[0], fork, fork.Offer(), 8);
  EXPECT_EQ(forked.kind, WitnessOutcome::kConflict);
  EXPECT_EQ(forked.status, 422);
  EXPECT_NE(forked.message.find("HTTP 422"), std::string::npos) << forked.message;

  MemoryLog old;
  old.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  old.Append(5);
  WitnessOutcome rolled = AskWitness(http_, policy_->witnesses()[0], old, old.Offer(), 5);
  EXPECT_EQ(rolled.kind, WitnessOutcome::kConflict);
  EXPECT_EQ(rolled.witness_size, 8u);
  EXPECT_NE(rolled.message.find("larger than this checkpoint's 5"), std::string::npos)
      << rolled.message;
}

TEST_F(WitnessClientTest, StatusesOfOtherWitnesses) {
  log_.Append(2);
  struct Case {
    Result<HttpReply> reply;
    WitnessOutcome::Kind kind;
  };
  const Case cases[] = {
      {HttpReply{409, "text/plain", "conflict\n"}, WitnessOutcome::kConflict},
      {HttpReply{409, "text/x.tlog.size", "01\n"}, WitnessOutcome::kConflict},
      {HttpReply{422, "text/plain", "inconsistent\n"}, WitnessOutcome::kConflict},
      {HttpReply{403, "text/plain", "unknown key\n"}, WitnessOutcome::kConflict},
      {HttpReply{429, "text/plain", "slow down\n"}, WitnessOutcome::kRetry},
      {HttpReply{503, "text/plain", "busy\n"}, WitnessOutcome::kRetry},
      {Error{"POST http://w.example/add-checkpoint: Timeout was reached"}, WitnessOutcome::kRetry},
      {HttpReply{200, "text/plain", "not a signature\n"}, WitnessOutcome::kConflict},
      // A cosignature by another key is ignored: no valid one by w1.
      {HttpReply{
           200, "text/plain",
           *tlog::Cosigner::Generate("w.example/w1")
                ->Cosign(*tlog::FormatCheckpoint({std::string(kOrigin), 2, log_.tree.Root(), {}}),
                         1700000000)},
       WitnessOutcome::kConflict},
  };
  for (const Case& c : cases) {
    http_.script = {c.reply};
    WitnessOutcome o = Ask(std::nullopt);
    EXPECT_EQ(o.kind, c.kind) << o.message;
    EXPECT_FALSE(o.message.empty());
  }
  // A second 409 right after the first: the witness moves under us; try again later.
  http_.script = {HttpReply{409, "text/x.tlog.size", "1\n"},
                  HttpReply{409, "text/x.tlog.size", "2\n"}};
  WitnessOutcome twice = Ask(std::nullopt);
  EXPECT_EQ(twice.kind, WitnessOutcome::kRetry);
  EXPECT_EQ(twice.witness_size, 2u);
}

}  // namespace
}  // namespace tuidang
