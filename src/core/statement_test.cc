#include "core/statement.h"

#include <gtest/gtest.h>

namespace tuidang {

namespace {
StatementDraft Valid() {
  StatementDraft d;
  d.declarant.name = "  王小明 ";
  d.declarant.organisations = {"party", "league"};
  d.region = "beijing";
  d.occupation = "teacher";
  d.text = "我退出\r\n中共";
  return d;
}
}  // namespace

TEST(Statement, ValidIsNormalised) {
  Statement s;
  auto errors = ValidateStatement(Valid(), &s);
  ASSERT_TRUE(errors.empty());
  ASSERT_EQ(s.persons.size(), 1u);
  EXPECT_EQ(s.persons[0].name, "王小明");
  EXPECT_EQ(s.persons[0].organisations, kParty | kLeague);
  EXPECT_EQ(RegionCode(s.region), "beijing");
  EXPECT_EQ(OccupationCode(s.occupation), "teacher");
  EXPECT_EQ(s.text, "我退出\n中共");
}

TEST(Statement, EveryErrorIsReported) {
  StatementDraft d;
  d.declarant.name = " \xE3\x80\x80 ";
  d.region = "atlantis";
  d.occupation = "spy";
  d.others.push_back({std::string(41, 'a'), false, {"party", "army"}});
  Statement s;
  auto errors = ValidateStatement(d, &s);
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].field, "name");
  EXPECT_EQ(errors[0].code, ErrorCode::kRequired);
  EXPECT_EQ(errors[1].field, "organisations");
  EXPECT_EQ(errors[1].code, ErrorCode::kRequired);
  EXPECT_EQ(errors[2].person, 1u);
  EXPECT_EQ(errors[2].code, ErrorCode::kTooLong);
  EXPECT_EQ(errors[3].code, ErrorCode::kUnknownValue);
  EXPECT_EQ(errors[4].field, "region");
  EXPECT_EQ(errors[5].field, "occupation");
}

TEST(Statement, NameLengthCountsCharactersAfterNfc) {
  StatementDraft d = Valid();
  std::string forty;
  for (int i = 0; i < 40; ++i) forty += "e\xCC\x81";  // 80 code points, 40 after NFC
  d.declarant.name = forty;
  Statement s;
  EXPECT_TRUE(ValidateStatement(d, &s).empty());
  d.declarant.name = forty + "x";
  EXPECT_EQ(ValidateStatement(d, &s).at(0).code, ErrorCode::kTooLong);
}

TEST(Statement, RejectsBadEncodingAndControls) {
  StatementDraft d = Valid();
  d.declarant.name = "\xFF\xFE";
  d.text = std::string(
      "a\x00"
      "b",
      3);
  Statement s;
  auto errors = ValidateStatement(d, &s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, ErrorCode::kInvalidCharacters);
  EXPECT_EQ(errors[1].field, "text");
}

TEST(Statement, TextLimit) {
  StatementDraft d = Valid();
  std::string t;
  for (int i = 0; i < 5000; ++i) t += "字";
  d.text = t;
  Statement s;
  EXPECT_TRUE(ValidateStatement(d, &s).empty());
  d.text = t + "字";
  EXPECT_EQ(ValidateStatement(d, &s).at(0).code, ErrorCode::kTooLong);
}

TEST(Statement, TooManyPersons) {
  StatementDraft d = Valid();
  d.others.assign(kMaxFurtherPersons + 1, PersonDraft{"李", false, {"league"}});
  Statement s;
  auto errors = ValidateStatement(d, &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kTooMany);
}

}  // namespace tuidang
