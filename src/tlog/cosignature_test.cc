#include "tlog/cosignature.h"

#include <gtest/gtest.h>

#include <string>

#include "tlog/hash.h"
#include "tlog/note.h"

namespace tuidang::tlog {
namespace {

// c2sp.org/tlog-cosignature, the checkpoint of its examples and its cosigned example note.
constexpr std::string_view kSofaText =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSpecNote =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\xE2\x80\x94 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URY"
    "N7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZC"
    "B9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

// A known answer from an independent implementation (Python's `cryptography`, Ed25519 of
// OpenSSL): the key of seed 00 01 .. 1f named witness.example.com/w1, cosigning kSofaText at
// the spec's example time 1679315147. Key ID = SHA-256(name || 0x0A || 0x04 || key)[:4].
constexpr std::string_view kW1Signer =
    "PRIVATE+KEY+witness.example.com/w1+a0059f11+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
constexpr std::string_view kW1Verifier =
    "witness.example.com/w1+a0059f11+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
constexpr std::string_view kW1Line =
    "\xE2\x80\x94 witness.example.com/w1 oAWfEQAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE"
    "1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n";
constexpr uint64_t kSpecTime = 1679315147;

Ed25519Seed CountingSeed() {
  Ed25519Seed seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
  return seed;
}

TEST(CosignatureTest, MessageIsTheSpecExample) {
  EXPECT_EQ(CosignatureV1Message(kSofaText, kSpecTime),
            "cosignature/v1\n"
            "time 1679315147\n"
            "example.com/behind-the-sofa\n"
            "20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
}

TEST(CosignatureTest, SpecExampleLineCarriesKeyIdThenBigEndianTimestamp) {
  Result<Note> note = ParseNote(kSpecNote);
  ASSERT_TRUE(note.ok()) << note.error();
  ASSERT_EQ(note->unverified.size(), 2u);
  const NoteSignature& w1 = note->unverified[1];
  EXPECT_EQ(w1.name, "witness.example.com/w1");
  Result<std::string> raw = Base64Decode(w1.base64);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 4 + kCosignatureV1Size);
  EXPECT_EQ(w1.key_id, 0x8d66cf3fu);
  uint64_t timestamp = 0;
  for (size_t i = 4; i < 12; ++i) timestamp = timestamp << 8 | static_cast<uint8_t>((*raw)[i]);
  EXPECT_EQ(timestamp, kSpecTime);  // the "time" line of the spec's signed-message example
}

TEST(CosignatureTest, KeysRoundTripAndKeyIdFollowsTheRule) {
  Result<Cosigner> cosigner = Cosigner::FromSeed("witness.example.com/w1", CountingSeed());
  ASSERT_TRUE(cosigner.ok()) << cosigner.error();
  EXPECT_EQ(cosigner->SignerKey(), kW1Signer);
  EXPECT_EQ(cosigner->Verifier().VerifierKey(), kW1Verifier);
  std::string typed(1, '\x04');
  typed.append(reinterpret_cast<const char*>(cosigner->Verifier().public_key().data()), 32);
  const Hash h = Sha256(std::string("witness.example.com/w1\n") + typed);
  EXPECT_EQ(cosigner->key_id(),
            uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 | h[3]);
  Result<Cosigner> parsed = Cosigner::Parse(kW1Signer);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->key_id(), 0xa0059f11u);
  Result<CosignatureVerifier> verifier = CosignatureVerifier::Parse(kW1Verifier);
  ASSERT_TRUE(verifier.ok()) << verifier.error();
  EXPECT_EQ(verifier->VerifierKey(), kW1Verifier);
}

TEST(CosignatureTest, CosignsTheKnownAnswerByteForByte) {
  Result<Cosigner> cosigner = Cosigner::Parse(kW1Signer);
  ASSERT_TRUE(cosigner.ok());
  Result<std::string> line = cosigner->Cosign(kSofaText, kSpecTime);
  ASSERT_TRUE(line.ok()) << line.error();
  EXPECT_EQ(*line, kW1Line);
}

TEST(CosignatureTest, VerifiesTheKnownAnswerInANote) {
  Result<CosignatureVerifier> verifier = CosignatureVerifier::Parse(kW1Verifier);
  ASSERT_TRUE(verifier.ok());
  std::string note_text(kSofaText);
  note_text += "\n";
  note_text += kW1Line;
  Result<Note> note = ParseNote(note_text);
  ASSERT_TRUE(note.ok()) << note.error();
  Result<uint64_t> timestamp = verifier->VerifyNote(*note);
  ASSERT_TRUE(timestamp.ok()) << timestamp.error();
  EXPECT_EQ(*timestamp, kSpecTime);
}

TEST(CosignatureTest, RefusesTamperedTextTimestampSignatureAndKey) {
  Result<CosignatureVerifier> verifier = CosignatureVerifier::Parse(kW1Verifier);
  ASSERT_TRUE(verifier.ok());
  Result<Note> note = ParseNote(std::string(kSofaText) + "\n" + std::string(kW1Line));
  ASSERT_TRUE(note.ok());
  const std::string raw = *Base64Decode(note->unverified[0].base64);
  const std::string_view sig = std::string_view(raw).substr(4);
  ASSERT_TRUE(verifier->Verify(kSofaText, sig).ok());
  // Another tree size in the text.
  std::string text(kSofaText);
  text[28] = '3';
  EXPECT_FALSE(verifier->Verify(text, sig).ok());
  // The timestamp moved by one second, then one bit of the Ed25519 signature flipped.
  std::string later(sig);
  later[7] = static_cast<char>(later[7] + 1);
  EXPECT_FALSE(verifier->Verify(kSofaText, later).ok());
  std::string flipped(sig);
  flipped[40] = static_cast<char>(flipped[40] ^ 1);
  EXPECT_FALSE(verifier->Verify(kSofaText, flipped).ok());
  EXPECT_FALSE(verifier->Verify(kSofaText, sig.substr(1)).ok());
  // A timestamp above 2^63 - 1 is refused before any signature check.
  std::string huge(sig);
  huge[0] = '\x80';
  EXPECT_EQ(verifier->Verify(kSofaText, huge).error(), "cosignature: timestamp out of range");
  // Another key of the same name: its ID differs, so the note holds no line of it.
  Result<Cosigner> other = Cosigner::Generate("witness.example.com/w1");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->key_id(), verifier->key_id());
  EXPECT_FALSE(other->Verifier().VerifyNote(*note).ok());
  // The same key under another name is another key ID, and the same ID under another name
  // must not be taken for it.
  EXPECT_FALSE(CosignatureVerifier::Parse("witness.example.com/w2+a0059f11+BAOhB7/zzhC+HXDdGOdL"
                                          "wJln5NYwm6UNXx3chmQSVTG4")
                   .ok());
}

TEST(CosignatureTest, KeysOfOtherTypesAndFormsAreRefused) {
  // A note key (type 0x01) is not a cosignature key, and the reverse.
  EXPECT_FALSE(
      CosignatureVerifier::Parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnK"
                                 "v3U2k")
          .ok());
  EXPECT_FALSE(NoteVerifier::Parse(kW1Verifier).ok());
  EXPECT_FALSE(NoteSigner::Parse(kW1Signer).ok());
  EXPECT_FALSE(Cosigner::Parse(std::string(kW1Signer).substr(12)).ok());
  EXPECT_FALSE(CosignatureVerifier::Parse("witness.example.com/w1+a0059f12+BAOhB7/zzhC+HXDdGOdL"
                                          "wJln5NYwm6UNXx3chmQSVTG4")
                   .ok());
  EXPECT_FALSE(Cosigner::Generate("bad name").ok());
  EXPECT_FALSE(Cosigner::Generate("a+b").ok());
}

TEST(CosignatureTest, CosignRefusesZeroAndHugeTimestampsAndBadText) {
  Result<Cosigner> cosigner = Cosigner::Parse(kW1Signer);
  ASSERT_TRUE(cosigner.ok());
  EXPECT_FALSE(cosigner->Cosign(kSofaText, 0).ok());
  EXPECT_FALSE(cosigner->Cosign(kSofaText, kMaxCosignatureTimestamp + 1).ok());
  EXPECT_TRUE(cosigner->Cosign(kSofaText, kMaxCosignatureTimestamp).ok());
  EXPECT_FALSE(cosigner->Cosign("no newline", 1).ok());
  EXPECT_FALSE(cosigner->Cosign("tab\tin text\n", 1).ok());
}

TEST(CosignatureTest, AddsCosignatureLinesToASignedNote) {
  std::string base(kSpecNote);
  Result<std::string> joined = AddSignatureLines(base, kW1Line);
  ASSERT_TRUE(joined.ok()) << joined.error();
  EXPECT_EQ(*joined, base + std::string(kW1Line));
  Result<Note> note = ParseNote(*joined);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->unverified.size(), 3u);
  EXPECT_EQ(*CosignatureVerifier::Parse(kW1Verifier)->VerifyNote(*note), kSpecTime);
  EXPECT_FALSE(AddSignatureLines(base, "not a signature\n").ok());
  EXPECT_FALSE(AddSignatureLines(base, "\n").ok());
  EXPECT_FALSE(AddSignatureLines(base, std::string(kW1Line).substr(0, kW1Line.size() - 1)).ok());
  EXPECT_FALSE(AddSignatureLines("no note\n", kW1Line).ok());
  EXPECT_FALSE(AddSignatureLines(base, "\xE2\x80\x94 name !!!\n").ok());
}

}  // namespace
}  // namespace tuidang::tlog
