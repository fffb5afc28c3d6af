#include "mirror/mirror.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mirror/http_handler.h"
#include "testing/temp_dir.h"
#include "tlog/builder.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/subtree.h"
#include "web/gzip.h"

namespace tuidang::mirror {
namespace {

constexpr std::string_view kOrigin = "example.org/log";
constexpr uint64_t kNow = 1700000000;

// A log in memory: its entries, tree and key, and the bodies it sends a mirror.
struct FakeLog {
  FakeLog() : signer(std::move(*tlog::NoteSigner::Generate(kOrigin))) {}

  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      entries.push_back("entry " + std::to_string(entries.size()));
      tree.AppendEntry(entries.back());
    }
  }
  std::string Signed() const {
    return *tlog::SignCheckpoint({std::string(kOrigin), tree.size(), tree.Root(), {}}, signer);
  }
  std::string CheckpointBody(uint64_t old_size) {
    witness::AddCheckpointRequest request{old_size, {}, Signed()};
    if (old_size != 0 && old_size != tree.size()) {
      request.proof = *tlog::ConsistencyProof(tree, old_size, tree.size());
    }
    return witness::FormatAddCheckpoint(request);
  }
  // The add-entries body for [start, end), its first `packages` packages (all by default).
  std::string EntriesBody(uint64_t start, uint64_t end, uint64_t packages = UINT64_MAX) {
    std::string body = FormatAddEntriesHeader({std::string(kOrigin), start, end, ""});
    for (uint64_t i = 0; i < PackageCount(start, end) && i < packages; ++i) {
      const PackageRange r = Package(start, end, i);
      std::vector<std::string_view> views(entries.begin() + static_cast<ptrdiff_t>(r.start),
                                          entries.begin() + static_cast<ptrdiff_t>(r.end));
      auto proof = tlog::SubtreeConsistencyProof(tree, r.subtree_start, r.end, end);
      EXPECT_TRUE(proof.ok()) << proof.error();
      AppendPackage(&body, views, *proof);
    }
    return body;
  }
  WitnessedLog Mirrored() const { return {std::string(kOrigin), {signer.Verifier()}}; }

  tlog::NoteSigner signer;
  std::vector<std::string> entries;
  tlog::MemoryTree tree;
};

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    mirror_.reset();
    state_.reset();
    auto state = MirrorState::Open(dir_.File("mirror.db"));
    ASSERT_TRUE(state.ok()) << state.error();
    state_ = std::move(*state);
    auto mirror =
        Mirror::Create({log_.Mirrored()}, std::move(*tlog::Cosigner::FromSeed("m.example/m1", {})),
                       state_.get(), [] { return kNow; });
    ASSERT_TRUE(mirror.ok()) << mirror.error();
    mirror_ = std::move(*mirror);
  }

  LogCopy Copy() {
    auto copy = state_->Read(kOrigin);
    EXPECT_TRUE(copy.ok());
    return copy.ok() ? *copy : LogCopy{};
  }
  uint64_t MirroredSize() {
    LogCopy copy = Copy();
    return copy.mirrored ? copy.mirrored->size : 0;
  }
  std::string OriginHash() { return tlog::HashToHex(tlog::Sha256(kOrigin)); }

  // The mirror's cosignature line `line` verifies on the log's checkpoint text.
  void ExpectCosignature(const std::string& line) {
    auto note = tlog::ParseNote(log_.Signed());
    ASSERT_TRUE(note.ok());
    auto full = tlog::ParseNote(note->text + "\n" + line);
    ASSERT_TRUE(full.ok()) << full.error() << "\n" << line;
    ASSERT_EQ(full->unverified.size(), 1u);
    auto ts = mirror_->cosigner().Verifier().VerifyNote(*full);
    ASSERT_TRUE(ts.ok()) << ts.error();
    EXPECT_EQ(*ts, kNow);
  }

  test::TempDir dir_;
  FakeLog log_;
  std::unique_ptr<MirrorState> state_;
  std::unique_ptr<Mirror> mirror_;
};

TEST_F(MirrorTest, MirrorsCosignsAndServesTheCopy) {
  log_.Append(600);
  Answer a = mirror_->AddCheckpoint(log_.CheckpointBody(0));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "");  // the mirror does not cosign the pending checkpoint
  EXPECT_EQ(mirror_->Monitored(OriginHash(), "checkpoint").status, 404);

  a = mirror_->AddEntries(log_.EntriesBody(0, 600));
  ASSERT_EQ(a.status, 200) << a.body;
  ExpectCosignature(a.body);
  EXPECT_EQ(MirroredSize(), 600u);

  Answer cp = mirror_->Monitored(OriginHash(), "checkpoint");
  ASSERT_EQ(cp.status, 200);
  EXPECT_TRUE(cp.body.starts_with(log_.Signed()));  // the log's signature kept
  EXPECT_TRUE(cp.body.ends_with(a.body));

  // Every tile the log would serve at 600, byte for byte.
  tlog::TreeBuilder builder;
  auto built = builder.Append(log_.entries);
  ASSERT_TRUE(built.ok());
  for (const tlog::TileContent& tile : built->tiles) {
    Answer served = mirror_->Monitored(OriginHash(), tlog::TilePath(tile.id));
    ASSERT_EQ(served.status, 200) << tlog::TilePath(tile.id) << served.body;
    EXPECT_EQ(served.body, tile.data) << tlog::TilePath(tile.id);
  }
  // Nothing beyond the mirror checkpoint's tree.
  EXPECT_EQ(mirror_->Monitored(OriginHash(), "tile/0/002.p/89").status, 404);
  EXPECT_EQ(mirror_->Monitored(OriginHash(), "tile/entries/003").status, 404);
  EXPECT_EQ(mirror_->Monitored(std::string(64, 'a'), "checkpoint").status, 404);
}

TEST_F(MirrorTest, GrowsFromAnUnalignedSizeAndResumesAfterRestart) {
  log_.Append(300);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(0)).status, 200);
  ASSERT_EQ(mirror_->AddEntries(log_.EntriesBody(0, 300)).status, 200);
  Open();  // a restart: everything comes from the database
  EXPECT_EQ(MirroredSize(), 300u);
  log_.Append(700);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(300)).status, 200);
  // The first package's subtree starts at 256: its first 44 entries are the mirror's own.
  Answer a = mirror_->AddEntries(log_.EntriesBody(300, 1000));
  ASSERT_EQ(a.status, 200) << a.body;
  ExpectCosignature(a.body);
  EXPECT_EQ(MirroredSize(), 1000u);
  EXPECT_EQ(Copy().next_entry, 1000u);
}

TEST_F(MirrorTest, PrefixUploadAnswers202ThenCompletes) {
  log_.Append(1000);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(0)).status, 200);
  Answer a = mirror_->AddEntries(log_.EntriesBody(0, 1000, 2));
  ASSERT_EQ(a.status, 202) << a.body;
  EXPECT_EQ(a.content_type, kMirrorInfoContentType);
  EXPECT_EQ(a.body, "1000\n512\n\n");
  EXPECT_EQ(MirroredSize(), 0u);  // not cosigned before every entry is stored
  // A truncated request stores its authenticated packages and says where to go on.
  std::string body = log_.EntriesBody(512, 1000);
  a = mirror_->AddEntries(body.substr(0, body.size() - 10));
  ASSERT_EQ(a.status, 202) << a.body;
  EXPECT_EQ(a.body, "1000\n768\n\n");
  a = mirror_->AddEntries(log_.EntriesBody(768, 1000));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(MirroredSize(), 1000u);
  // Sent again: the entries are skipped and the checkpoint cosigned again.
  EXPECT_EQ(mirror_->AddEntries(log_.EntriesBody(1000, 1000)).status, 200);
  EXPECT_EQ(mirror_->AddEntries(log_.EntriesBody(800, 1000)).status, 200);
}

TEST_F(MirrorTest, EveryRefusalStoresNothing) {
  log_.Append(600);
  // Before any pending checkpoint: 422; unknown origin: 404; malformed header: 400.
  EXPECT_EQ(mirror_->AddEntries(log_.EntriesBody(0, 600)).status, 422);
  std::string other = FormatAddEntriesHeader({"other.example/log", 0, 0, ""});
  EXPECT_EQ(mirror_->AddEntries(other).status, 404);
  EXPECT_EQ(mirror_
                ->AddEntries(std::string("\x00\x05"
                                         "abc",
                                         5))
                .status,
            400);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(0)).status, 200);

  const std::string good = log_.EntriesBody(0, 600);
  const size_t header = FormatAddEntriesHeader({std::string(kOrigin), 0, 600, ""}).size();
  // The first package truncated: 400.
  EXPECT_EQ(mirror_->AddEntries(good.substr(0, header + 100)).status, 400);
  // A wrong proof: 422.
  std::string bad = good;
  bad[bad.find("entry 5")] ^= 1;  // inside an entry of the first package
  EXPECT_EQ(mirror_->AddEntries(bad).status, 422);
  // Bytes after the last package: 400.
  EXPECT_EQ(mirror_->AddEntries(good + "x").status, 400);
  // upload_start above upload_end: 400; sizes the mirror does not know, even past 2^63: 409.
  EXPECT_EQ(mirror_->AddEntries(FormatAddEntriesHeader({std::string(kOrigin), 9, 8, ""})).status,
            400);
  for (uint64_t end : {uint64_t{599}, uint64_t{1} << 63, (uint64_t{1} << 63) + 600, UINT64_MAX}) {
    Answer a = mirror_->AddEntries(FormatAddEntriesHeader({std::string(kOrigin), 0, end, ""}));
    EXPECT_EQ(a.status, 409) << end;
    EXPECT_EQ(a.body, "600\n0\n\n");
  }
  // upload_start past the next entry: 409.
  Answer a = mirror_->AddEntries(log_.EntriesBody(300, 600));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "600\n0\n\n");
  LogCopy copy = Copy();
  EXPECT_EQ(copy.next_entry, 0u);
  EXPECT_FALSE(copy.mirrored);

  // Too many entries sent again: 409 with the next entry.
  ASSERT_EQ(mirror_->AddEntries(log_.EntriesBody(0, 600)).status, 200);
  log_.Append(1000);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(600)).status, 200);
  a = mirror_->AddEntries(log_.EntriesBody(0, 1600));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "1600\n600\n\n");
  EXPECT_EQ(MirroredSize(), 600u);
}

TEST_F(MirrorTest, AddCheckpointAsAWitness) {
  log_.Append(10);
  EXPECT_EQ(mirror_->AddCheckpoint("old 0\n").status, 400);
  EXPECT_EQ(mirror_->AddCheckpoint("old 0\n\nnot a note").status, 400);
  FakeLog stranger;  // same origin, another key
  stranger.Append(10);
  EXPECT_EQ(mirror_->AddCheckpoint(stranger.CheckpointBody(0)).status, 403);
  EXPECT_EQ(mirror_->AddCheckpoint("old 18446744073709551615\n\n" + log_.Signed()).status, 400);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(0)).status, 200);
  Answer a = mirror_->AddCheckpoint(log_.CheckpointBody(0));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "10\n");
  EXPECT_EQ(a.content_type, witness::kTlogSizeContentType);
  log_.Append(5);
  std::string forked = log_.CheckpointBody(10);
  forked[forked.find('\n') + 3] ^= 1;  // a proof line changed
  EXPECT_EQ(mirror_->AddCheckpoint(forked).status, 422);
  EXPECT_EQ(Copy().pending->size, 10u);
}

TEST_F(MirrorTest, HandlerTakesGzipAndChecksTheType) {
  log_.Append(40);
  ASSERT_EQ(mirror_->AddCheckpoint(log_.CheckpointBody(0)).status, 200);
  MirrorHandler handler(mirror_.get());
  web::Request req{web::http::verb::post, "/add-entries", 11};
  req.set(web::http::field::content_type, "text/plain");
  req.body() = log_.EntriesBody(0, 40);
  EXPECT_EQ(handler.Answer(req).result_int(), 415);
  req.set(web::http::field::content_type, "application/octet-stream");
  req.set(web::http::field::content_encoding, "br");
  EXPECT_EQ(handler.Answer(req).result_int(), 415);
  req.set(web::http::field::content_encoding, "gzip");
  req.body() = "not gzip";
  EXPECT_EQ(handler.Answer(req).result_int(), 400);
  req.body() = *web::Gzip(log_.EntriesBody(0, 40));
  web::Response res = handler.Answer(req);
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res[web::http::field::accept_encoding], "gzip");
  EXPECT_EQ(handler.BodyLimit(req), kMaxAddEntriesBytes);

  web::Request get{web::http::verb::get, "/" + OriginHash() + "/log/checkpoint", 11};
  EXPECT_EQ(handler.Answer(get).result_int(), 200);
  get.target("/" + OriginHash() + "/tile/entries/000.p/40");
  EXPECT_EQ(handler.Answer(get).result_int(), 200);
  EXPECT_EQ(handler.BodyLimit(get), web::kMaxBodyBytes);

  bool too_large = false;
  EXPECT_FALSE(Gunzip(*web::Gzip(std::string(100000, 'a')), 1000, &too_large));
  EXPECT_TRUE(too_large);
  EXPECT_EQ(*Gunzip(*web::Gzip("abc"), 1000, &too_large), "abc");
  std::string cut = *web::Gzip(std::string(5000, 'b'));
  EXPECT_FALSE(Gunzip(cut.substr(0, cut.size() - 4), 100000, &too_large));
  EXPECT_FALSE(too_large);
}

}  // namespace
}  // namespace tuidang::mirror
