#include "tlog/note.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tlog/hash.h"

namespace tuidang::tlog {
namespace {

// golang.org/x/mod/sumdb/note example_test.go: its keys, text and signed output.
constexpr std::string_view kPeterSigner =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVerifier =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n";

// c2sp.org/signed-note, "Example".
constexpr std::string_view kFooVerifier =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kFooNote =
    "This is an example message.\n"
    "\n"
    "\xE2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsY"
    "jOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

std::vector<NoteVerifier> Known(std::initializer_list<std::string_view> keys) {
  std::vector<NoteVerifier> known;
  for (std::string_view key : keys) known.push_back(*NoteVerifier::Parse(key));
  return known;
}

TEST(NoteTest, SignsThePeterNeumannExampleByteForByte) {
  Result<NoteSigner> signer = NoteSigner::Parse(kPeterSigner);
  ASSERT_TRUE(signer.ok()) << signer.error();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->SignerKey(), kPeterSigner);
  EXPECT_EQ(signer->Verifier().VerifierKey(), kPeterVerifier);
  Result<std::string> note = SignNote(kPeterText, *signer);
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(*note, kPeterNote);
}

TEST(NoteTest, OpensThePeterNeumannExample) {
  Result<NoteVerifier> verifier = NoteVerifier::Parse(kPeterVerifier);
  ASSERT_TRUE(verifier.ok()) << verifier.error();
  EXPECT_EQ(verifier->name(), "PeterNeumann");
  EXPECT_EQ(verifier->key_id(), 0xc74f20a3u);
  EXPECT_EQ(verifier->VerifierKey(), kPeterVerifier);
  Result<Note> note = OpenNote(kPeterNote, std::span(&*verifier, 1));
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(note->text, kPeterText);
  ASSERT_EQ(note->verified.size(), 1u);
  EXPECT_EQ(note->verified[0].name, "PeterNeumann");
  EXPECT_EQ(note->verified[0].key_id, 0xc74f20a3u);
  EXPECT_TRUE(note->unverified.empty());
}

TEST(NoteTest, OpensTheSignedNoteSpecExample) {
  Result<Note> note = OpenNote(kFooNote, Known({kFooVerifier}));
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(note->text, "This is an example message.\n");
  ASSERT_EQ(note->verified.size(), 1u);
  EXPECT_EQ(note->verified[0].key_id, 0x530d903au);
  // Another key of the same name and a different ID is not consulted.
  EXPECT_FALSE(OpenNote(kFooNote, Known({kPeterVerifier})).ok());
}

TEST(NoteTest, ParsesTheQuasimodoExample) {
  // c2sp.org/signed-note: the text holds a blank line of its own; the last one separates.
  constexpr std::string_view kNote =
      "Ognuno sta solo sul cuor della terra\n"
      "trafitto da un raggio di sole:\n"
      "\n"
      "ed \xC3\xA8 subito sera.\n"
      "\n"
      "\xE2\x80\x94 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfL"
      "W9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
  Result<Note> note = ParseNote(kNote);
  ASSERT_TRUE(note.ok()) << note.error();
  EXPECT_EQ(note->text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
            "ed \xC3\xA8 subito sera.\n");
  ASSERT_EQ(note->unverified.size(), 1u);
  EXPECT_EQ(note->unverified[0].name, "quasimodo.example/salvatore");
  EXPECT_EQ(note->unverified[0].key_id, 0x367ba04bu);
  EXPECT_TRUE(note->verified.empty());
  // Nobody we know signed it.
  EXPECT_FALSE(OpenNote(kNote, Known({kFooVerifier})).ok());
}

TEST(NoteTest, VerifierKeyManglingsAreRejected) {
  // Every proper substring and every single-byte change of a valid key must fail.
  const std::string key(kPeterVerifier);
  for (size_t i = 0; i <= key.size(); ++i) {
    for (size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_FALSE(NoteVerifier::Parse(key.substr(i, j - i)).ok()) << key.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < key.size(); ++i) {
    std::string bad = key;
    ++bad[i];
    EXPECT_FALSE(NoteVerifier::Parse(bad).ok()) << bad;
  }
  // From golang.org/x/mod: a wrong-length key and an unknown algorithm, each with the key ID
  // that would match it.
  EXPECT_FALSE(NoteVerifier::Parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
                                   "LDE4izWy10TWBADKEY==")
                   .ok());
  EXPECT_FALSE(
      NoteVerifier::Parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
  // The key ID is lowercase hex.
  EXPECT_FALSE(
      NoteVerifier::Parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
}

TEST(NoteTest, SignerKeyManglingsAreRejected) {
  const std::string key(kPeterSigner);
  for (size_t i = 0; i <= key.size(); ++i) {
    for (size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_FALSE(NoteSigner::Parse(key.substr(i, j - i)).ok()) << key.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < key.size(); ++i) {
    std::string bad = key;
    ++bad[i];
    EXPECT_FALSE(NoteSigner::Parse(bad).ok()) << bad;
  }
  // A verifier key is not a signer key, nor the reverse.
  EXPECT_FALSE(NoteSigner::Parse(kPeterVerifier).ok());
  EXPECT_FALSE(NoteVerifier::Parse(kPeterSigner).ok());
}

TEST(NoteTest, GeneratedKeysSignAndVerify) {
  Result<NoteSigner> signer = NoteSigner::Generate("tuidang.example/log");
  ASSERT_TRUE(signer.ok());
  Result<NoteSigner> reparsed = NoteSigner::Parse(signer->SignerKey());
  ASSERT_TRUE(reparsed.ok()) << reparsed.error();
  EXPECT_EQ(reparsed->Verifier().VerifierKey(), signer->Verifier().VerifierKey());
  Result<NoteVerifier> verifier = NoteVerifier::Parse(signer->Verifier().VerifierKey());
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(verifier->key_id(), signer->key_id());

  const std::string message = "hi";
  std::string signature = signer->Sign(message);
  ASSERT_EQ(signature.size(), kEd25519SignatureSize);
  EXPECT_TRUE(verifier->Verify(message, signature));
  EXPECT_FALSE(verifier->Verify("hj", signature));
  signature[0] ^= 1;
  EXPECT_FALSE(verifier->Verify(message, signature));
  EXPECT_FALSE(verifier->Verify(message, signature.substr(1)));

  Result<NoteSigner> other = NoteSigner::Generate("tuidang.example/log");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->Verifier().VerifierKey(), signer->Verifier().VerifierKey());

  EXPECT_FALSE(NoteSigner::Generate("has space").ok());
  EXPECT_FALSE(NoteSigner::Generate("").ok());
}

TEST(NoteTest, KeyNames) {
  EXPECT_TRUE(IsValidKeyName("example.com/log"));
  EXPECT_TRUE(IsValidKeyName("\xE9\x80\x80\xE5\x85\x9A.example/log"));  // 退党
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a\tb"));
  EXPECT_FALSE(
      IsValidKeyName("a\xC2\xA0"
                     "b"));  // U+00A0
  EXPECT_FALSE(
      IsValidKeyName("a\xE3\x80\x80"
                     "b"));  // U+3000 ideographic space
  EXPECT_FALSE(
      IsValidKeyName("a\xE2\x80\x83"
                     "b"));  // U+2003 em space
  EXPECT_FALSE(
      IsValidKeyName("a\xFF"
                     "b"));
  EXPECT_FALSE(
      IsValidKeyName("a\xC0\xAF"
                     "b"));  // overlong "/"
  EXPECT_FALSE(
      IsValidKeyName("a\xED\xA0\x80"
                     "b"));  // surrogate
}

TEST(NoteTest, SignsWithSeveralKeysAndKeepsUnknownSignatures) {
  NoteSigner peter = std::move(*NoteSigner::Parse(kPeterSigner));
  NoteSigner log = std::move(*NoteSigner::Generate("tuidang.example/log"));
  const NoteSigner* signers[] = {&log, &peter};
  Result<std::string> note = SignNote("two signatures\n", signers);
  ASSERT_TRUE(note.ok());

  Result<Note> opened = OpenNote(*note, Known({kPeterVerifier}));
  ASSERT_TRUE(opened.ok()) << opened.error();
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].name, "PeterNeumann");
  ASSERT_EQ(opened->unverified.size(), 1u);
  EXPECT_EQ(opened->unverified[0].name, "tuidang.example/log");
  EXPECT_EQ(opened->unverified[0].key_id, log.key_id());

  std::vector<NoteVerifier> both = Known({kPeterVerifier});
  both.push_back(log.Verifier());
  opened = OpenNote(*note, both);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->verified.size(), 2u);
  EXPECT_TRUE(opened->unverified.empty());

  // The same key twice is ambiguous.
  std::vector<NoteVerifier> twice = Known({kPeterVerifier, kPeterVerifier});
  EXPECT_FALSE(OpenNote(*note, twice).ok());

  // A repeated signature line counts once.
  std::string repeated =
      std::string(kPeterNote) + std::string(kPeterNote.substr(kPeterText.size() + 1));
  opened = OpenNote(repeated, Known({kPeterVerifier}));
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->verified.size(), 1u);
}

TEST(NoteTest, RejectsMalformedNotes) {
  const std::vector<NoteVerifier> known = Known({kPeterVerifier});
  ASSERT_TRUE(OpenNote(kPeterNote, known).ok());
  const std::string good(kPeterNote);
  const std::string sig_line(kPeterNote.substr(kPeterText.size() + 1));
  const std::string text(kPeterText);
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };

  const std::vector<std::string> kBad = {
      "",
      good.substr(0, good.size() - 1),             // no final newline
      text + sig_line,                             // no blank line
      text + "\n",                                 // no signatures
      text + "\n\n" + sig_line,                    // a blank line too many: other text
      good + "\n",                                 // a blank line after the signatures
      replace("\xE2\x80\x94 ", "- "),              // hyphen, not em dash
      replace("\xE2\x80\x94 ", "\xE2\x80\x94"),    // no space after the dash
      replace("\xE2\x80\x94 ", "\xE2\x80\x94  "),  // two spaces
      replace("PeterNeumann ", "PeterNeumann  "),
      replace("PeterNeumann ", "PeterNeumann+x "),           // '+' in a name
      replace("PeterNeumann x08go", "PeterNeumann x08go!"),  // not base64
      replace("PeterNeumann x08go/ZJk", "PeterNeumann\tx08go/ZJk"),
      replace("x08go/ZJku", "x08go/ZJku="),
      text + "\n\xE2\x80\x94 PeterNeumann x08gow==\n",  // fewer than 5 bytes
      replace("If you", "If\x01you"),                   // control character
      replace("If you", "If\ryou"),
      replace("If you", "If\xFFyou"),                      // not UTF-8
      good + "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG",  // a line without newline
  };
  for (const std::string& bad : kBad) {
    EXPECT_FALSE(OpenNote(bad, known).ok()) << '"' << bad << '"';
  }

  // A known key's bad signature sinks the note even beside a good one.
  std::string forged = replace("x08go/ZJku", "x08go/ZJkv");
  EXPECT_FALSE(OpenNote(forged, known).ok());
  EXPECT_FALSE(OpenNote(forged + sig_line, known).ok());
  // So does a change of text.
  EXPECT_FALSE(OpenNote(replace("problem,", "problem;"), known).ok());

  // At most kMaxNoteSignatures signatures, unknown ones included.
  std::string many = text + "\n";
  for (size_t i = 0; i < kMaxNoteSignatures - 1; ++i) {
    many += "\xE2\x80\x94 other" + std::to_string(i) + " AAAAAAAA\n";
  }
  EXPECT_TRUE(OpenNote(many + sig_line, known).ok());
  EXPECT_FALSE(OpenNote(many + "\xE2\x80\x94 extra AAAAAAAA\n" + sig_line, known).ok());
  EXPECT_FALSE(OpenNote(std::string(kMaxNoteSize, 'a') + "\n\n" + sig_line, known).ok());
}

TEST(NoteTest, SignRejectsBadText) {
  NoteSigner signer = std::move(*NoteSigner::Parse(kPeterSigner));
  EXPECT_FALSE(SignNote("", signer).ok());
  EXPECT_FALSE(SignNote("no newline", signer).ok());
  EXPECT_FALSE(SignNote("tab\there\n", signer).ok());
  EXPECT_FALSE(SignNote("bad \xFF utf-8\n", signer).ok());
  EXPECT_FALSE(SignNote("no signers\n", std::span<const NoteSigner* const>()).ok());
  EXPECT_TRUE(SignNote("\xE9\x80\x80\xE5\x85\x9A\n", signer).ok());
}

}  // namespace
}  // namespace tuidang::tlog
