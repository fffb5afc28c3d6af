#include "core/leaf.h"
#include "core/text.h"

#include <random>

#include <gtest/gtest.h>
#include <sodium.h>
#include <boost/json.hpp>

namespace tuidang {

namespace {

// The test vector of docs/log-format.md.
Statement Example() {
  Statement s;
  s.number = 1043;
  s.day = *ParseDay("2026-11-23");
  s.channel = Channel::kWeb;
  s.language = Language::kSimplified;
  s.region = *ParseRegion("beijing");
  s.occupation = 0;
  s.persons = {{"王小明", false, kParty | kLeague}, {"李华", true, kPioneers}};
  s.text = "我声明退出\"党\"与团";
  return s;
}

}  // namespace

TEST(Leaf, CanonicalRecordVector) {
  EXPECT_EQ(CanonicalRecord(Example()),
            R"({"number":1043,"date":"2026-11-23","channel":"web","language":"zh-hans",)"
            R"("region":"beijing","occupation":null,"persons":[{"name":"王小明","real_name":false,)"
            R"("organisations":["party","league"]},{"name":"李华","real_name":true,)"
            R"("organisations":["pioneers"]}],"text":"我声明退出\"党\"与团"})");
}

// The record is written by hand; it must stay what boost::json::serialize writes for the
// same object (the format's reference: docs/log-format.md), for every byte a string may
// hold and for the optional members.
TEST(Leaf, CanonicalRecordEqualsBoostJson) {
  auto reference = [](const Statement& s) {
    boost::json::object o;
    o["number"] = *s.number;
    o["date"] = FormatDay(s.day);
    o["channel"] = ChannelCode(s.channel);
    o["language"] = LanguageCode(s.language);
    auto code = [](std::string_view c) {
      return c.empty() ? boost::json::value(nullptr) : boost::json::value(c);
    };
    o["region"] = code(RegionCode(s.region));
    o["occupation"] = code(OccupationCode(s.occupation));
    boost::json::array persons;
    for (const Person& p : s.persons) {
      boost::json::array orgs;
      for (Organisation org : kOrganisationList) {
        if (p.organisations & org) orgs.emplace_back(OrganisationCode(org));
      }
      persons.push_back(boost::json::object{
          {"name", p.name}, {"real_name", p.real_name}, {"organisations", orgs}});
    }
    o["persons"] = std::move(persons);
    o["text"] = s.text;
    if (!s.consent.empty()) o["consent"] = s.consent;
    if (!s.place.empty()) o["place"] = s.place;
    return boost::json::serialize(o);
  };
  Statement s = Example();
  std::string every_ascii;
  for (int c = 1; c < 128; ++c) every_ascii.push_back(static_cast<char>(c));
  s.text = every_ascii + "声明\u2028\U0001F600";
  s.persons[0].name = std::string("a\0b", 3) + every_ascii;
  EXPECT_EQ(CanonicalRecord(s), reference(s));
  s.consent = "declared by phone on 2026-11-23; \"consents\"\n";
  s.place = "北京 \\ 西单";
  s.region = 0;
  s.occupation = 3;
  EXPECT_EQ(CanonicalRecord(s), reference(s));
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string t;
    for (int i = 0; i < 40; ++i) t.push_back(static_cast<char>(rng() % 128));
    s.text = t;
    s.persons[1].organisations = static_cast<uint8_t>(rng() % 8);
    s.persons[1].real_name = rng() % 2;
    ASSERT_EQ(CanonicalRecord(s), reference(s)) << round;
  }
}

TEST(Leaf, StatementLeafVector) {
  std::string salt(16, '\0');
  for (int i = 0; i < 16; ++i) salt[i] = static_cast<char>(i);
  Commitment c = Commit(salt, CanonicalRecord(Example()));
  std::string entry = EncodeLeaf(LeafOf(Example(), c));
  ASSERT_EQ(entry.size(), kStatementLeafSize);
  // Checked independently with Python's hashlib (docs/log-format.md).
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(c.data()), c.size())),
            "7f564a4a530de77caa32ea0c1562eb3b455eec65dd201b4dd40c9b06983eddb1");
  EXPECT_EQ(HexEncode(entry),
            "01010000512c01000002000100010001"
            "7f564a4a530de77caa32ea0c1562eb3b455eec65dd201b4dd40c9b06983eddb1");
  // RFC 6962 leaf hash: SHA-256(0x00 || entry).
  std::string prefixed = std::string(1, '\0') + entry;
  unsigned char h[32];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(prefixed.data()), prefixed.size());
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(h), 32)),
            "086c067c39ea5ba84ffac09fed46115431df31f1d790e333aeaf9bf68c1a4ac2");
}

TEST(Leaf, WithdrawalRoundTrip) {
  WithdrawalLeaf w{*ParseDay("2026-11-24"), WithdrawalReason::kFake, 77};
  std::string e = EncodeLeaf(w);
  EXPECT_EQ(HexEncode(e), "01020000512d0300000000000000004d");
  auto parsed = DecodeLeaf(e);
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->withdrawal);
  EXPECT_EQ(parsed->withdrawal->cancelled, 77u);
  EXPECT_EQ(parsed->withdrawal->reason, WithdrawalReason::kFake);
}

TEST(Leaf, DecodeRejectsMalformed) {
  std::string salt(16, 'x');
  std::string e = EncodeLeaf(LeafOf(Example(), Commit(salt, "r")));
  EXPECT_TRUE(DecodeLeaf(e));
  EXPECT_FALSE(DecodeLeaf(e.substr(0, 47)));
  std::string bad = e;
  bad[0] = 2;
  EXPECT_FALSE(DecodeLeaf(bad));
  bad = e;
  bad[7] = 1;
  EXPECT_FALSE(DecodeLeaf(bad));
  bad = e;
  bad[1] = 9;
  EXPECT_FALSE(DecodeLeaf(bad));
  EXPECT_FALSE(DecodeLeaf(""));
}

}  // namespace tuidang
