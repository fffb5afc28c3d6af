#include "witness/witness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "web/http.h"
#include "witness/http_handler.h"

namespace tuidang::witness {
namespace {

constexpr std::string_view kOrigin = "example.org/log";
constexpr uint64_t kNow = 1700000000;

// A log in memory: a tree, its key, and the add-checkpoint bodies a log would send.
struct FakeLog {
  explicit FakeLog(std::string_view origin = kOrigin)
      : origin(origin), signer(std::move(*tlog::NoteSigner::Generate(origin))) {}

  void Append(int n, std::string_view tag = "entry") {
    for (int i = 0; i < n; ++i) {
      tree.AppendEntry(std::string(tag) + std::to_string(tree.size()));
    }
  }
  std::string Signed() const {
    return *tlog::SignCheckpoint({origin, tree.size(), tree.Root(), {}}, signer);
  }
  // The body from `old_size` to the current tree, with the proof from this tree.
  std::string Body(uint64_t old_size) {
    AddCheckpointRequest request{old_size, {}, Signed()};
    if (old_size != 0 && old_size != tree.size()) {
      request.proof = *tlog::ConsistencyProof(tree, old_size, tree.size());
    }
    return FormatAddCheckpoint(request);
  }
  WitnessedLog Witnessed() const { return {origin, {signer.Verifier()}}; }

  std::string origin;
  tlog::NoteSigner signer;
  tlog::MemoryTree tree;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    witness_.reset();
    state_.reset();
    auto state = WitnessState::Open(dir_.File("witness.db"));
    ASSERT_TRUE(state.ok()) << state.error();
    state_ = std::move(*state);
    auto witness = Witness::Create({log_.Witnessed()},
                                   std::move(*tlog::Cosigner::FromSeed("w.example/w1", {})),
                                   state_.get(), [] { return kNow; });
    ASSERT_TRUE(witness.ok()) << witness.error();
    witness_ = std::move(*witness);
  }

  uint64_t StoredSize() {
    auto head = state_->Latest(kOrigin);
    EXPECT_TRUE(head.ok());
    return head.ok() && *head ? (*head)->size : 0;
  }

  test::TempDir dir_;
  FakeLog log_;
  std::unique_ptr<WitnessState> state_;
  std::unique_ptr<Witness> witness_;
};

TEST(ParseAddCheckpointTest, ReadsTheSpecForm) {
  auto request = ParseAddCheckpoint(
      "old 20852014\n"
      "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
      "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
      "\n"
      "example.com/behind-the-sofa\n20852163\n");
  ASSERT_TRUE(request.ok()) << request.error();
  EXPECT_EQ(request->old_size, 20852014u);
  EXPECT_EQ(request->proof.size(), 2u);
  EXPECT_EQ(request->checkpoint, "example.com/behind-the-sofa\n20852163\n");
  EXPECT_EQ(FormatAddCheckpoint(*request),
            "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
            "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\nexample.com/behind-the-sofa\n"
            "20852163\n");
}

TEST(ParseAddCheckpointTest, RefusesEveryOtherForm) {
  const std::string hash = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n";
  for (std::string body : {"", "old 0", "old 0\n", "old 01\n\nx", "old -1\n\nx", "old  1\n\nx",
                           "Old 1\n\nx", "old 1 \n\nx", "old 18446744073709551616\n\nx",
                           "old 1\nnot base64\n\nx", "old 1\nPlRNCrwH\n\nx", "\nold 1\n\nx"}) {
    EXPECT_FALSE(ParseAddCheckpoint(body).ok()) << body;
  }
  std::string proof;
  for (int i = 0; i < 63; ++i) proof += hash;
  EXPECT_TRUE(ParseAddCheckpoint("old 5\n" + proof + "\nx").ok());
  EXPECT_EQ(ParseAddCheckpoint("old 5\n" + proof + hash + "\nx").error(),
            "more than 63 consistency proof lines");
  EXPECT_TRUE(ParseAddCheckpoint("old 18446744073709551615\n\nx").ok());
}

TEST_F(WitnessTest, CosignsFromZeroThenWithAConsistencyProof) {
  log_.Append(5);
  Answer first = witness_->AddCheckpoint(log_.Body(0));
  ASSERT_EQ(first.status, 200) << first.body;
  // The answer is our cosignature line, valid on the checkpoint the log sent.
  auto note = tlog::ParseNote(log_.Signed() + first.body);
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(*witness_->cosigner().Verifier().VerifyNote(*note), kNow);
  EXPECT_EQ(StoredSize(), 5u);

  log_.Append(12);
  Answer second = witness_->AddCheckpoint(log_.Body(5));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(StoredSize(), 17u);
  // The same checkpoint again: same size, same root, an empty proof.
  EXPECT_EQ(witness_->AddCheckpoint(log_.Body(17)).status, 200);
}

TEST_F(WitnessTest, ConflictNamesOurSizeAsTextXTlogSize) {
  log_.Append(3);
  ASSERT_EQ(witness_->AddCheckpoint(log_.Body(0)).status, 200);
  log_.Append(4);
  Answer stale = witness_->AddCheckpoint(log_.Body(0));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body, "3\n");
  EXPECT_EQ(stale.content_type, "text/x.tlog.size");
  Answer ahead = witness_->AddCheckpoint(log_.Body(5));
  EXPECT_EQ(ahead.status, 409);
  EXPECT_EQ(ahead.body, "3\n");
  EXPECT_EQ(StoredSize(), 3u);
  EXPECT_EQ(witness_->AddCheckpoint(log_.Body(3)).status, 200);
}

TEST_F(WitnessTest, RefusesAForkAndABadProofWith422) {
  log_.Append(8);
  ASSERT_EQ(witness_->AddCheckpoint(log_.Body(0)).status, 200);
  // The same key and origin, another history of 8 then 12 leaves.
  FakeLog fork;
  fork.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  fork.Append(12, "other");
  EXPECT_EQ(witness_->AddCheckpoint(fork.Body(8)).status, 422);
  // Same size, another root.
  FakeLog same_size;
  same_size.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  same_size.Append(8, "other");
  Answer split = witness_->AddCheckpoint(same_size.Body(8));
  EXPECT_EQ(split.status, 422);
  EXPECT_EQ(split.body, "same tree size with a different root hash\n");
  // The honest log's proof with one hash changed.
  log_.Append(4);
  AddCheckpointRequest request = *ParseAddCheckpoint(log_.Body(8));
  request.proof[0][0] ^= 1;
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpoint(request)).status, 422);
  EXPECT_EQ(StoredSize(), 8u);
  EXPECT_EQ(witness_->AddCheckpoint(log_.Body(8)).status, 200);
}

TEST_F(WitnessTest, RefusesARollbackAndTheZeroRules) {
  log_.Append(6);
  ASSERT_EQ(witness_->AddCheckpoint(log_.Body(0)).status, 200);
  FakeLog old;
  old.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  old.Append(4);
  // A smaller tree from our size: the old size is above the checkpoint's.
  Answer rollback = witness_->AddCheckpoint(FormatAddCheckpoint({6, {}, old.Signed()}));
  EXPECT_EQ(rollback.status, 400);
  EXPECT_EQ(StoredSize(), 6u);

  // A fresh log: the empty tree must have the empty root; a proof from 0 must be empty.
  FakeLog fresh("example.org/fresh");
  auto state = WitnessState::Open(dir_.File("fresh.db"));
  auto witness =
      std::move(*Witness::Create({fresh.Witnessed()}, std::move(*tlog::Cosigner::Generate("w")),
                                 state->get(), [] { return kNow; }));
  tlog::Hash not_empty{};
  std::string zero_bad = *tlog::SignCheckpoint({fresh.origin, 0, not_empty, {}}, fresh.signer);
  EXPECT_EQ(witness->AddCheckpoint(FormatAddCheckpoint({0, {}, zero_bad})).status, 422);
  fresh.Append(3);
  EXPECT_EQ(witness->AddCheckpoint(FormatAddCheckpoint({0, {not_empty}, fresh.Signed()})).status,
            422);
  EXPECT_FALSE(*(*state)->Latest(fresh.origin));
  std::string zero_ok =
      *tlog::SignCheckpoint({fresh.origin, 0, tlog::EmptyRoot(), {}}, fresh.signer);
  EXPECT_EQ(witness->AddCheckpoint(FormatAddCheckpoint({0, {}, zero_ok})).status, 200);
}

TEST_F(WitnessTest, UnknownOriginIs404AndAnotherKeyIs403) {
  FakeLog stranger("example.org/other");
  stranger.Append(2);
  EXPECT_EQ(witness_->AddCheckpoint(stranger.Body(0)).status, 404);
  FakeLog impostor;  // our origin, another key (same name, another key ID)
  impostor.Append(2);
  EXPECT_EQ(witness_->AddCheckpoint(impostor.Body(0)).status, 403);
  // The log's name and key ID with a signature that does not verify.
  log_.Append(2);
  std::string body = log_.Body(0);
  const size_t sig = body.rfind(' ') + 10;
  body[sig] = body[sig] == 'A' ? 'B' : 'A';
  EXPECT_EQ(witness_->AddCheckpoint(body).status, 403);
  EXPECT_EQ(StoredSize(), 0u);
  // Malformed notes: no signature, text that is no checkpoint, a control character.
  EXPECT_EQ(witness_->AddCheckpoint("old 0\n\nexample.org/log\n2\n").status, 400);
  EXPECT_EQ(
      witness_->AddCheckpoint("old 0\n\nexample.org/log\nx\n\n\xE2\x80\x94 a AAAAAAA=\n").status,
      400);
  EXPECT_EQ(witness_->AddCheckpoint("old 0\n\nexample.org/log\t\n2\n").status, 400);
}

TEST_F(WitnessTest, StateSurvivesReopeningAndFeedsTheMonitoringEndpoint) {
  const std::string hash = tlog::HashToHex(tlog::Sha256(kOrigin));
  EXPECT_EQ(witness_->MonitoredCheckpoint(hash).status, 404);
  log_.Append(9);
  Answer cosigned = witness_->AddCheckpoint(log_.Body(0));
  ASSERT_EQ(cosigned.status, 200);
  Open();
  EXPECT_EQ(StoredSize(), 9u);
  Answer served = witness_->MonitoredCheckpoint(hash);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.body, log_.Signed() + cosigned.body);  // the log's signature, then ours
  auto verifiers = std::vector<tlog::NoteVerifier>{log_.signer.Verifier()};
  EXPECT_TRUE(tlog::OpenCheckpoint(served.body, kOrigin, verifiers).ok());
  EXPECT_EQ(witness_->MonitoredCheckpoint(std::string(64, '0')).status, 404);
  log_.Append(1);
  EXPECT_EQ(witness_->AddCheckpoint(log_.Body(0)).body, "9\n");
}

TEST_F(WitnessTest, ConcurrentRequestsFromOneOldSizeAdvanceOnce) {
  log_.Append(4);
  ASSERT_EQ(witness_->AddCheckpoint(log_.Body(0)).status, 200);
  // Twenty requests from size 4, each to a larger tree: exactly one may win.
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) {
    log_.Append(1);
    bodies.push_back(log_.Body(4));
  }
  std::atomic<int> ok = 0, conflict = 0;
  std::vector<std::thread> threads;
  for (const std::string& body : bodies) {
    threads.emplace_back([&, body] {
      const int status = witness_->AddCheckpoint(body).status;
      if (status == 200) ++ok;
      if (status == 409) ++conflict;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 19);
  EXPECT_GT(StoredSize(), 4u);
}

TEST_F(WitnessTest, HandlerRoutesMethodsAndPaths) {
  WitnessHandler handler(witness_.get());
  auto ask = [&](web::http::verb verb, std::string target, std::string body = "") {
    web::Request req{verb, target, 11};
    req.body() = body;
    req.prepare_payload();
    return handler.Answer(req);
  };
  log_.Append(2);
  web::Response added = ask(web::http::verb::post, "/add-checkpoint", log_.Body(0));
  EXPECT_EQ(added.result_int(), 200);
  web::Response wrong = ask(web::http::verb::get, "/add-checkpoint");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[web::http::field::allow], "POST");
  web::Response conflict = ask(web::http::verb::post, "/add-checkpoint", log_.Body(0));
  EXPECT_EQ(conflict.result_int(), 409);
  EXPECT_EQ(conflict[web::http::field::content_type], "text/x.tlog.size");
  const std::string path = "/" + tlog::HashToHex(tlog::Sha256(kOrigin)) + "/checkpoint";
  EXPECT_EQ(ask(web::http::verb::get, path).result_int(), 200);
  EXPECT_EQ(ask(web::http::verb::post, path).result_int(), 405);
  std::string upper = path;
  upper[1] = 'A';
  EXPECT_EQ(ask(web::http::verb::get, upper).result_int(), 404);
  EXPECT_EQ(ask(web::http::verb::get, "/").result_int(), 404);
  EXPECT_EQ(ask(web::http::verb::get, "/healthz").result_int(), 200);
}

}  // namespace
}  // namespace tuidang::witness
