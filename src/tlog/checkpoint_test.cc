#include "tlog/checkpoint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tuidang::tlog {
namespace {

// c2sp.org/tlog-checkpoint, the example at the top.
constexpr std::string_view kSpecText =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSpecNote =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\xE2\x80\x94 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN"
    "7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

TEST(CheckpointTest, ParsesTheSpecExample) {
  Result<Note> note = ParseNote(kSpecNote);
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(note->text, kSpecText);
  ASSERT_EQ(note->unverified.size(), 1u);
  EXPECT_EQ(note->unverified[0].key_id, 0x033de0aeu);

  Result<Checkpoint> checkpoint = ParseCheckpoint(note->text);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error();
  EXPECT_EQ(checkpoint->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint->size, 20852163u);
  EXPECT_EQ(HashToBase64(checkpoint->root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(checkpoint->extensions.empty());
  EXPECT_EQ(*FormatCheckpoint(*checkpoint), kSpecText);

  // We do not hold the log's key: the note does not open.
  NoteSigner stranger = std::move(*NoteSigner::Generate("example.com/behind-the-sofa"));
  const NoteVerifier keys[] = {stranger.Verifier()};
  EXPECT_FALSE(OpenCheckpoint(kSpecNote, "example.com/behind-the-sofa", keys).ok());
}

TEST(CheckpointTest, RoundTripsWithExtensions) {
  Checkpoint checkpoint;
  checkpoint.origin = "tuidang.example/log";
  checkpoint.size = 0;
  checkpoint.root = EmptyRoot();
  EXPECT_EQ(*FormatCheckpoint(checkpoint),
            "tuidang.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  checkpoint.size = UINT64_MAX;
  checkpoint.extensions = {"extension one", "\xE9\x80\x80\xE5\x85\x9A two"};
  Result<std::string> text = FormatCheckpoint(checkpoint);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*ParseCheckpoint(*text), checkpoint);
}

TEST(CheckpointTest, FormatRejectsBadLines) {
  Checkpoint checkpoint{"o", 1, EmptyRoot(), {}};
  ASSERT_TRUE(FormatCheckpoint(checkpoint).ok());
  for (const char* origin : {"", "two\nlines", "tab\t", "\xFF"}) {
    checkpoint.origin = origin;
    EXPECT_FALSE(FormatCheckpoint(checkpoint).ok()) << origin;
  }
  checkpoint.origin = "o";
  checkpoint.extensions = {""};
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint.extensions = {"a\nb"};
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
}

TEST(CheckpointTest, ParseRejectsMalformedText) {
  const std::string root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  ASSERT_TRUE(ParseCheckpoint("o\n5\n" + root + "\n").ok());
  const std::vector<std::string> kBad = {
      "",
      "o\n5\n" + root,          // no final newline
      "o\n5\n",                 // two lines
      "\n5\n" + root + "\n",    // empty origin
      "o\n05\n" + root + "\n",  // leading zero
      "o\n00\n" + root + "\n",
      "o\n-5\n" + root + "\n",
      "o\n+5\n" + root + "\n",
      "o\n 5\n" + root + "\n",
      "o\n5 \n" + root + "\n",
      "o\n0x5\n" + root + "\n",
      "o\n\n" + root + "\n",
      "o\n18446744073709551616\n" + root + "\n",  // 2^64
      "o\n5\n" + root.substr(4) + "\n",           // not 32 bytes
      "o\n5\n" + root + "=\n",
      "o\n5\n" + root.substr(0, 43) + "U\n",  // non-zero unused bits
      "o\n5\n" + root + " \n",
      "o\n5\n" + root + "\n\n",  // an empty extension line
      "o\n5\n" + root + "\next\n\n",
      "o\r\n5\n" + root + "\n",
  };
  for (const std::string& text : kBad) {
    EXPECT_FALSE(ParseCheckpoint(text).ok()) << '"' << text << '"';
  }
  EXPECT_EQ(ParseCheckpoint("o\n18446744073709551615\n" + root + "\n")->size, UINT64_MAX);
}

TEST(CheckpointTest, SignAndOpen) {
  NoteSigner log = std::move(*NoteSigner::Generate("tuidang.example/log"));
  NoteSigner other = std::move(*NoteSigner::Generate("tuidang.example/log"));
  Checkpoint checkpoint{"tuidang.example/log", 42, LeafHash("x"), {}};
  Result<std::string> note = SignCheckpoint(checkpoint, log);
  ASSERT_TRUE(note.ok()) << note.error();
  ASSERT_TRUE(
      note->starts_with(*FormatCheckpoint(checkpoint) + "\n\xE2\x80\x94 tuidang.example/log "));

  const NoteVerifier log_keys[] = {log.Verifier()};
  Result<Checkpoint> opened = OpenCheckpoint(*note, "tuidang.example/log", log_keys);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(*opened, checkpoint);

  EXPECT_FALSE(OpenCheckpoint(*note, "tuidang.example/other", log_keys).ok());
  const NoteVerifier other_keys[] = {other.Verifier()};
  EXPECT_FALSE(OpenCheckpoint(*note, "tuidang.example/log", other_keys).ok());

  // A signed note whose text is not a checkpoint.
  Result<std::string> not_checkpoint = SignNote("tuidang.example/log\nmany\n", log);
  EXPECT_FALSE(OpenCheckpoint(*not_checkpoint, "tuidang.example/log", log_keys).ok());
}

}  // namespace
}  // namespace tuidang::tlog
