#include "log/mirror_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mirror/http_handler.h"
#include "mirror/mirror.h"
#include "testing/temp_dir.h"
#include "tlog/builder.h"
#include "tlog/checkpoint.h"

namespace tuidang {
namespace {

constexpr std::string_view kOrigin = "example.org/log";

// Sends the requests to tuidang's own mirror in memory, through its HTTP handler.
class HandlerPoster : public HttpPoster {
 public:
  explicit HandlerPoster(mirror::MirrorHandler* handler) : handler_(handler) {}
  Result<HttpReply> Post(const std::string& url, const std::string& body) override {
    return PostAs(url, "text/plain", body);
  }
  Result<HttpReply> PostAs(const std::string& url, const std::string& type,
                           const std::string& body) override {
    ++requests;
    web::Request req{web::http::verb::post, url.substr(url.find('/', 8)), 11};
    req.set(web::http::field::content_type, type);
    req.body() = body;
    web::Response res = handler_->Answer(req);
    std::string media(res[web::http::field::content_type]);
    return HttpReply{res.result_int(), media.substr(0, media.find(';')), res.body()};
  }
  int requests = 0;

 private:
  mirror::MirrorHandler* handler_;
};

// A log whose tiles are in memory, growing by TreeBuilder as the integrator's.
struct TileLog {
  TileLog() : signer(std::move(*tlog::NoteSigner::Generate(kOrigin))) {}
  void Append(int n, std::string_view tag = "entry") {
    std::vector<std::string> entries;
    for (int i = 0; i < n; ++i) entries.push_back(std::string(tag) + std::to_string(i));
    auto result = builder.Append(entries);
    ASSERT_TRUE(result.ok());
    for (auto& tile : result->tiles) tiles.Put(tile.id, tile.data);
  }
  OfferedCheckpoint Offered() const {
    return {
        builder.size(),
        *tlog::SignCheckpoint({std::string(kOrigin), builder.size(), builder.Root(), {}}, signer)};
  }
  tlog::NoteSigner signer;
  tlog::TreeBuilder builder;
  tlog::MemoryTileStore tiles;
};

class MirrorClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = mirror::MirrorState::Open(dir_.File("mirror.db"));
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
    auto cosigner = std::move(*tlog::Cosigner::FromSeed("m.example/m1", {}));
    target_ = tlog::PolicyWitness{"m1", cosigner.Verifier(), "http://mirror.test/"};
    auto m = mirror::Mirror::Create({{std::string(kOrigin), {log_.signer.Verifier()}}},
                                    std::move(cosigner), state_.get());
    ASSERT_TRUE(m.ok());
    mirror_ = std::move(*m);
    handler_ = std::make_unique<mirror::MirrorHandler>(mirror_.get());
    http_ = std::make_unique<HandlerPoster>(handler_.get());
  }

  test::TempDir dir_;
  TileLog log_;
  std::unique_ptr<mirror::MirrorState> state_;
  std::unique_ptr<mirror::Mirror> mirror_;
  std::unique_ptr<mirror::MirrorHandler> handler_;
  std::unique_ptr<HandlerPoster> http_;
  tlog::PolicyWitness target_{"",
                              *tlog::CosignatureVerifier::Parse(
                                  tlog::Cosigner::FromSeed("x", {})->Verifier().VerifierKey()),
                              ""};
};

TEST_F(MirrorClientTest, PushesGrowsAndCatchesUpInPrefixes) {
  log_.Append(1000);
  MirrorOutcome out = PushToMirror(*http_, target_, log_.tiles, log_.Offered(), std::nullopt, 0);
  ASSERT_EQ(out.kind, MirrorOutcome::kMirrored) << out.message;
  EXPECT_EQ(out.next_entry, 1000u);
  EXPECT_EQ(http_->requests, 2);  // add-checkpoint, one add-entries
  EXPECT_FALSE(out.cosignature.empty());

  // 10,000 more: 40 packages, so two add-entries (32, then the rest after a 202).
  log_.Append(10000, "more");
  http_->requests = 0;
  out = PushToMirror(*http_, target_, log_.tiles, log_.Offered(), 1000, 1000);
  ASSERT_EQ(out.kind, MirrorOutcome::kMirrored) << out.message;
  EXPECT_EQ(http_->requests, 3);
  auto copy = state_->Read(kOrigin);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->mirrored->size, 11000u);

  // A client that forgot everything (a restarted log) learns the sizes from the 409s.
  log_.Append(5, "again");
  out = PushToMirror(*http_, target_, log_.tiles, log_.Offered(), std::nullopt, 0);
  ASSERT_EQ(out.kind, MirrorOutcome::kMirrored) << out.message;
  EXPECT_EQ(out.next_entry, 11005u);
}

TEST_F(MirrorClientTest, AForkIsAConflict) {
  log_.Append(300);
  ASSERT_EQ(PushToMirror(*http_, target_, log_.tiles, log_.Offered(), std::nullopt, 0).kind,
            MirrorOutcome::kMirrored);
  TileLog fork;  // same origin and key, another history
  fork.signer = std::move(*tlog::NoteSigner::Parse(log_.signer.SignerKey()));
  fork.Append(400, "forked");
  MirrorOutcome out = PushToMirror(*http_, target_, fork.tiles, fork.Offered(), 300, 300);
  EXPECT_EQ(out.kind, MirrorOutcome::kConflict) << out.message;
  EXPECT_EQ(out.status, 422);
  EXPECT_EQ(state_->Read(kOrigin)->mirrored->size, 300u);
}

}  // namespace
}  // namespace tuidang
