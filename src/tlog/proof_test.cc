#include "tlog/proof.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tlog/builder.h"
#include "tlog/tile.h"

namespace tuidang::tlog {
namespace {

constexpr std::string_view kOrigin = "tuidang.example/log";

class ProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::make_unique<NoteSigner>(std::move(*NoteSigner::Generate(std::string(kOrigin))));
    TreeBuilder builder;
    std::vector<std::string> entries;
    for (int i = 0; i < 1000; ++i) entries.push_back("entry " + std::to_string(i));
    Result<AppendResult> result = builder.Append(entries);
    ASSERT_TRUE(result.ok());
    for (const TileContent& tile : result->tiles) tiles_.Put(tile.id, tile.data);
    checkpoint_ = Checkpoint{std::string(kOrigin), result->tree_size, result->root, {}};
    signed_checkpoint_ = *SignCheckpoint(checkpoint_, *log_);
  }

  std::vector<NoteVerifier> LogKeys() const { return {log_->Verifier()}; }

  std::unique_ptr<NoteSigner> log_;
  MemoryTileStore tiles_;
  Checkpoint checkpoint_;
  std::string signed_checkpoint_;
};

TEST_F(ProofTest, MakeFormatParseVerify) {
  for (uint64_t index : {0u, 1u, 255u, 256u, 511u, 998u, 999u}) {
    TileHashReader reader(&tiles_, checkpoint_.size);
    Result<TlogProof> proof = MakeTlogProof(reader, index, signed_checkpoint_);
    ASSERT_TRUE(proof.ok()) << proof.error();
    EXPECT_EQ(proof->index, index);
    EXPECT_EQ(proof->checkpoint, signed_checkpoint_);

    const std::string text = FormatTlogProof(*proof);
    EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nindex " + std::to_string(index) + "\n"));
    EXPECT_TRUE(text.ends_with("\n\n" + signed_checkpoint_));
    Result<TlogProof> parsed = ParseTlogProof(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(*parsed, *proof);

    const Hash leaf = LeafHash("entry " + std::to_string(index));
    Result<Checkpoint> verified = VerifyTlogProof(*parsed, leaf, kOrigin, LogKeys());
    ASSERT_TRUE(verified.ok()) << verified.error();
    EXPECT_EQ(*verified, checkpoint_);

    EXPECT_FALSE(VerifyTlogProof(*parsed, LeafHash("entry x"), kOrigin, LogKeys()).ok());
    EXPECT_FALSE(VerifyTlogProof(*parsed, leaf, "tuidang.example/other", LogKeys()).ok());
    NoteSigner stranger = std::move(*NoteSigner::Generate(std::string(kOrigin)));
    const NoteVerifier stranger_keys[] = {stranger.Verifier()};
    EXPECT_FALSE(VerifyTlogProof(*parsed, leaf, kOrigin, stranger_keys).ok());
    TlogProof moved = *parsed;
    moved.index = (index + 1) % checkpoint_.size;
    EXPECT_FALSE(VerifyTlogProof(moved, leaf, kOrigin, LogKeys()).ok());
    for (size_t i = 0; i < parsed->inclusion.size(); ++i) {
      TlogProof bad = *parsed;
      bad.inclusion[i][7] ^= 0x10;
      EXPECT_FALSE(VerifyTlogProof(bad, leaf, kOrigin, LogKeys()).ok());
    }
  }
}

TEST_F(ProofTest, ExtraDataRoundTrips) {
  TileHashReader reader(&tiles_, checkpoint_.size);
  Result<TlogProof> proof =
      MakeTlogProof(reader, 7, signed_checkpoint_, std::string("salt\0and more", 13));
  ASSERT_TRUE(proof.ok());
  const std::string text = FormatTlogProof(*proof);
  EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nextra c2FsdABhbmQgbW9yZQ==\nindex 7\n"));
  EXPECT_EQ(*ParseTlogProof(text), *proof);
}

TEST_F(ProofTest, FormatsLikeTheSpecExample) {
  // c2sp.org/tlog-proof: the lines before the checkpoint, byte for byte.
  constexpr std::string_view kHead =
      "c2sp.org/tlog-proof@v1\n"
      "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
      "index 73894\n"
      "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
      "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
      "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
      "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
      "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
      "\n";
  Checkpoint fancy{"example.com/fancylog",
                   109482,
                   *HashFromBase64("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08="),
                   {}};
  const std::string text = std::string(kHead) + *SignCheckpoint(fancy, *log_);
  Result<TlogProof> proof = ParseTlogProof(text);
  ASSERT_TRUE(proof.ok()) << proof.error();
  EXPECT_EQ(proof->extra, *Base64Decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ"));
  EXPECT_TRUE(proof->extra->starts_with("age-v1.2.1-darwin-arm64.tar.gz"));
  EXPECT_EQ(proof->index, 73894u);
  ASSERT_EQ(proof->inclusion.size(), 5u);
  EXPECT_EQ(HashToBase64(proof->inclusion[4]), "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=");
  EXPECT_EQ(FormatTlogProof(*proof), text);
  // The spec's hashes are illustrative: they do not prove anything.
  EXPECT_FALSE(VerifyTlogProof(*proof, LeafHash(""), "example.com/fancylog", LogKeys()).ok());
}

TEST_F(ProofTest, ParseRejectsMalformedProofs) {
  TileHashReader reader(&tiles_, checkpoint_.size);
  const std::string good = FormatTlogProof(*MakeTlogProof(reader, 300, signed_checkpoint_));
  ASSERT_TRUE(ParseTlogProof(good).ok());
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::string first_hash = good.substr(good.find("index 300\n") + 10, 44);
  const std::vector<std::string> kBad = {
      "",
      "c2sp.org/tlog-proof@v1\n",
      replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
      replace("c2sp.org/tlog-proof@v1\n", "c2sp.org/tlog-proof@v1\r\n"),
      replace("c2sp.org/tlog-proof@v1\n", ""),
      replace("index 300", "index 0300"),
      replace("index 300", "index -300"),
      replace("index 300", "index  300"),
      replace("index 300", "index"),
      replace("index 300", "Index 300"),
      replace("index 300", "index 18446744073709551616"),
      replace("index 300\n", ""),
      replace("index 300\n", "index 300\nextra AAAA\n"),  // extra after index
      replace("index 300\n", "extra A\nindex 300\n"),     // bad base64
      replace("index 300\n", "extra\nindex 300\n"),
      replace(first_hash, first_hash.substr(1)),
      replace(first_hash, first_hash + "A"),
      replace(first_hash + "\n", first_hash + " \n"),
      replace("\n\n" + signed_checkpoint_, "\n" + signed_checkpoint_),  // no blank line
      replace(signed_checkpoint_, ""),                                  // no checkpoint
      replace(signed_checkpoint_, "not a note\n"),
      replace("\n1000\n", "\n01000\n"),  // a note whose text is no checkpoint
  };
  for (const std::string& bad : kBad) {
    EXPECT_FALSE(ParseTlogProof(bad).ok()) << '"' << bad << '"';
  }

  // Dropping a hash leaves a well-formed proof that fails verification instead.
  Result<TlogProof> shorter = ParseTlogProof(replace(first_hash + "\n", ""));
  ASSERT_TRUE(shorter.ok());
  EXPECT_FALSE(VerifyTlogProof(*shorter, LeafHash("entry 300"), kOrigin, LogKeys()).ok());
  EXPECT_TRUE(VerifyTlogProof(*ParseTlogProof(good), LeafHash("entry 300"), kOrigin, LogKeys()));

  std::string too_many = "c2sp.org/tlog-proof@v1\nindex 0\n";
  for (int i = 0; i < 65; ++i) too_many += first_hash + "\n";
  EXPECT_FALSE(ParseTlogProof(too_many + "\n" + signed_checkpoint_).ok());
}

TEST_F(ProofTest, MakeRejectsBadArgumentsAndStaleTiles) {
  TileHashReader reader(&tiles_, checkpoint_.size);
  EXPECT_FALSE(MakeTlogProof(reader, 1000, signed_checkpoint_).ok());
  EXPECT_FALSE(MakeTlogProof(reader, 0, "not a checkpoint").ok());

  // A checkpoint whose root the tiles do not produce.
  Checkpoint wrong = checkpoint_;
  wrong.root = LeafHash("something else");
  const std::string wrong_note = *SignCheckpoint(wrong, *log_);
  EXPECT_FALSE(MakeTlogProof(reader, 5, wrong_note).ok());

  // A checkpoint larger than the stored tree.
  Checkpoint larger = checkpoint_;
  larger.size = 2000;
  EXPECT_FALSE(MakeTlogProof(reader, 5, *SignCheckpoint(larger, *log_)).ok());
}

}  // namespace
}  // namespace tuidang::tlog
