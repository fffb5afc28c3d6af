#include "tlog/policy.h"

#include <gtest/gtest.h>

#include <string>

#include "tlog/checkpoint.h"

namespace tuidang::tlog {
namespace {

std::string WitnessKey(const std::string& name) {
  auto c = Cosigner::Generate(name);
  return c->Verifier().VerifierKey();
}

TEST(PolicyTest, SpecExampleTwoLevelsOfGroups) {
  auto log = NoteSigner::Generate("example.com/log");
  std::string text = "log " + log->Verifier().VerifierKey() + "\n\n";
  for (const char* n : {"X1", "X2", "X3"}) {
    text += std::string("witness ") + n + " " + WitnessKey(std::string("x.example/") + n) + "\n";
  }
  text += "group X-witnesses 2 X1 X2 X3\n\n";
  for (const char* n : {"Y1", "Y2", "Y3"}) {
    text += std::string("  witness\t") + n + " " + WitnessKey(std::string("y.example/") + n) +
            " https://y.example/" + n + "  \n";
  }
  text += "# a comment\ngroup Y-witnesses any Y1 Y2 Y3\n";
  text += "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n";
  auto p = Policy::Parse(text);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->logs().size(), 1u);
  ASSERT_EQ(p->witnesses().size(), 6u);
  EXPECT_EQ(p->witnesses()[3].url, "https://y.example/Y1");
  EXPECT_FALSE(p->Met({"X1", "X2"}));
  EXPECT_FALSE(p->Met({"X1", "Y1", "Y2", "Y3"}));
  EXPECT_TRUE(p->Met({"X1", "X3", "Y2"}));
  // The canonical form parses to the same policy.
  auto again = Policy::Parse(p->Format());
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->Format(), p->Format());
  EXPECT_TRUE(again->Met({"X2", "X3", "Y3"}));
}

TEST(PolicyTest, QuorumNoneAndASingleWitness) {
  auto none = Policy::Parse("quorum none\n");
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none->quorum_none());
  EXPECT_TRUE(none->Met({}));
  auto one = Policy::Parse("witness w " + WitnessKey("w.example") + "\nquorum w\n");
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_FALSE(one->Met({}));
  EXPECT_TRUE(one->Met({"w"}));
  // The first group is a quorum too (a group index that once collided with "none").
  auto g = Policy::Parse("witness w " + WitnessKey("w.example") + "\ngroup g any w\nquorum g\n");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_FALSE(g->quorum_none());
  EXPECT_FALSE(g->Met({}));
}

TEST(PolicyTest, ErrorsNameTheLine) {
  const std::string k1 = WitnessKey("a.example"), k2 = WitnessKey("b.example");
  struct Case {
    std::string text, error;
  };
  const Case cases[] = {
      {"", "no quorum line"},
      {"quorum w\n", "line 1: the quorum names 'w', which is not defined above"},
      {"witness w " + k1 + "\nquorum w\nquorum w\n", "line 3: a second quorum line"},
      {"witness w " + k1 + "\nwitness w " + k2 + "\nquorum w\n",
       "line 2: the name 'w' is defined twice"},
      {"witness w " + k1 + "\nwitness v " + k1 + "\nquorum w\n", "line 2: the same public key"},
      {"group g any w\nwitness w " + k1 + "\nquorum g\n", "line 1: group 'g' names 'w'"},
      {"witness w " + k1 + "\ngroup g 2 w\nquorum g\n", "line 2: group 'g': the threshold"},
      {"witness w " + k1 + "\ngroup g 0 w\nquorum g\n", "the threshold"},
      {"witness w " + k1 + "\ngroup g 01 w\nquorum g\n", "the threshold"},
      {"witness w " + k1 + "\ngroup g any w w\nquorum g\n", "lists 'w' twice"},
      {"witness none " + k1 + "\nquorum none\n", "reserved"},
      {"witness w not-a-key\nquorum w\n", "line 1: bad key for witness 'w'"},
      {"log " + k1 + "\nquorum none\n", "line 1: bad log key"},
      {"witnesses w " + k1 + "\nquorum none\n", "unknown keyword 'witnesses'"},
      {"witness w " + k1 + " url extra\nquorum none\n", "expected 'witness"},
      {"quorum none\r\n", "control characters"},
      {"group g any\nquorum none\n", "expected 'group"},
  };
  for (const Case& c : cases) {
    auto p = Policy::Parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.error().find(c.error), std::string::npos) << p.error() << " for " << c.text;
  }
}

TEST(PolicyTest, CheckVerifiesCosignaturesAndNamesTheMissing) {
  auto log = NoteSigner::Generate("example.com/log");
  auto w1 = Cosigner::Generate("w1.example");
  auto w2 = Cosigner::Generate("w2.example");
  auto w3 = Cosigner::Generate("w3.example");
  Checkpoint cp{"example.com/log", 5, LeafHash("x"), {}};
  auto text = FormatCheckpoint(cp);
  auto signed_note = SignCheckpoint(cp, *log);
  ASSERT_TRUE(signed_note.ok());
  auto l1 = w1->Cosign(*text, 1700000000);
  auto l3 = w3->Cosign(*text, 1700000001);
  // w2's line over another checkpoint does not count.
  auto other = FormatCheckpoint(Checkpoint{"example.com/log", 6, LeafHash("y"), {}});
  auto l2 = w2->Cosign(*other, 1700000002);
  auto note = AddSignatureLines(*signed_note, *l1 + *l2 + *l3);
  ASSERT_TRUE(note.ok()) << note.error();
  auto p = Policy::Threshold({w1->Verifier(), w2->Verifier(), w3->Verifier()}, 3);
  ASSERT_TRUE(p.ok()) << p.error();
  auto parsed = ParseNote(*note);
  ASSERT_TRUE(parsed.ok());
  QuorumCheck q = p->Check(*parsed);
  EXPECT_FALSE(q.met);
  EXPECT_EQ(q.signed_by, (std::vector<std::string>{"w1.example", "w3.example"}));
  EXPECT_EQ(q.timestamps, (std::vector<uint64_t>{1700000000, 1700000001}));
  EXPECT_EQ(q.missing, std::vector<std::string>{"w2.example"});
  EXPECT_EQ(q.Describe(), "cosigned by w1.example, w3.example; not by w2.example");
  auto two = Policy::Threshold({w1->Verifier(), w2->Verifier(), w3->Verifier()}, 2);
  EXPECT_TRUE(two->Check(*parsed).met);
  EXPECT_FALSE(Policy::Threshold({w1->Verifier()}, 2).ok());
  EXPECT_FALSE(Policy::Threshold({w1->Verifier(), w1->Verifier()}, 1).ok());
}

}  // namespace
}  // namespace tuidang::tlog
