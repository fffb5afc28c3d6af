#include "intake/csv_import.h"

#include <gtest/gtest.h>
#include <iconv.h>
#include <sodium.h>

#include "intake/csv_reader.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/test_store.h"

namespace tuidang::intake {

namespace {

std::string Convert(const std::string& utf8, const char* to) {
  iconv_t cd = iconv_open(to, "UTF-8");
  std::string out(utf8.size() * 4 + 8, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t o_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &o_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(o - out.data());
  return out;
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::OpenTestStore(dir_);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
    Operator op;
    op.name = "alice";
    auto id = store_->AddOperator(op);
    ASSERT_TRUE(id) << id.error();
    options_.operator_id = *id;
    options_.file_name = "sheet.csv";
    sequencer_ = std::make_unique<Sequencer>(store_.get(), 16, 1000);
    intake_ = std::make_unique<Intake>(sequencer_.get(), nullptr, nullptr);
  }
  void TearDown() override {
    intake_.reset();
    sequencer_.reset();
    store_.reset();
  }
  ImportReport Import(std::string_view bytes) {
    auto r = ImportCsv(bytes, options_, intake_.get());
    EXPECT_TRUE(r) << r.error();
    return r ? *r : ImportReport{};
  }

  test::TempDir dir_;  // before store_: the store closes first
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Sequencer> sequencer_;
  std::unique_ptr<Intake> intake_;
  ImportOptions options_;
};

}  // namespace

TEST(CsvReaderTest, QuotesLineBreaksAndLineNumbers) {
  CsvReader r("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n3,4");
  CsvRecord rec;
  ASSERT_TRUE(r.Next(&rec));
  EXPECT_EQ(rec.cells, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(r.Next(&rec));
  EXPECT_EQ(rec.line, 2);
  EXPECT_EQ(rec.cells, (std::vector<std::string>{"x, \"y\"", "two\nlines"}));
  ASSERT_TRUE(r.Next(&rec));
  EXPECT_EQ(rec.line, 4);
  EXPECT_EQ(rec.cells, (std::vector<std::string>{"3", "4"}));
  EXPECT_FALSE(r.Next(&rec));
}

TEST(CsvReaderTest, GuessesTabsAndReportsUnterminatedQuotes) {
  CsvReader r("姓名\t组织\n\"张三\t党\n");
  EXPECT_EQ(r.delimiter(), '\t');
  CsvRecord rec;
  ASSERT_TRUE(r.Next(&rec));
  ASSERT_TRUE(r.Next(&rec));
  EXPECT_TRUE(rec.unterminated);
}

TEST(EncodingTest, DetectsUtf8GbkAndBig5) {
  std::string simplified = "姓名,组织,地区\n张伟,党,北京\n王芳,团、队,广东\n";
  std::string traditional = "姓名,組織,地區\n張偉,黨,北京\n王芳,團、隊,廣東\n";
  EXPECT_EQ(DetectEncoding(simplified), "UTF-8");
  EXPECT_EQ(DetectEncoding("\xEF\xBB\xBF" + simplified), "UTF-8");
  EXPECT_EQ(DetectEncoding(Convert(simplified, "GBK")), "GB18030");
  EXPECT_EQ(DetectEncoding(Convert(traditional, "BIG5")), "BIG5-HKSCS");
  // English headers: the characters decide.
  EXPECT_EQ(DetectEncoding(Convert("name,organisations\n刘洋,党\n", "GBK")), "GB18030");
  EXPECT_EQ(DetectEncoding(Convert("name,organisations\n陳明,黨\n", "BIG5")), "BIG5-HKSCS");
  std::vector<int64_t> bad;
  auto back = ToUtf8(Convert(traditional, "BIG5"), "BIG5-HKSCS", &bad);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, traditional);
  EXPECT_TRUE(bad.empty());
  auto broken = ToUtf8("a\nb\n\x81\n", "BIG5-HKSCS", &bad);
  ASSERT_TRUE(broken);
  EXPECT_EQ(bad, std::vector<int64_t>{3});
  // Several bad bytes on a line count it once; the lines after them are still right.
  bad.clear();
  auto many = ToUtf8("a\n\xff\xff\xff\nb\n\nc\xff\n\xff", "GB18030", &bad);
  ASSERT_TRUE(many);
  EXPECT_EQ(bad, (std::vector<int64_t>{2, 5, 6}));
}

TEST_F(ImportTest, ImportsRowsWithChineseColumnsAndCounts) {
  auto report = Import(
      "姓名,化名或真名,组织,地区,职业,内容\n"
      "张伟,真名,党、团,广东省,教师,退出中共\n"
      "Li Hua,化名,\"league, pioneers\",beijing,student,\n");
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.imported, 2);
  EXPECT_TRUE(report.rejected.empty());
  auto totals = store_->GetTotals();
  EXPECT_EQ(totals->persons, 2);
  EXPECT_EQ(totals->party, 1);
  EXPECT_EQ(totals->league, 2);
  EXPECT_EQ(totals->pioneers, 1);
  auto s = store_->GetPublished(report.first_number);
  ASSERT_TRUE(s && s->has_value());
  const Statement& st = **s;
  EXPECT_EQ(st.persons[0].name, "张伟");
  EXPECT_TRUE(st.persons[0].real_name);
  EXPECT_EQ(st.channel, Channel::kSheet);
  EXPECT_EQ(RegionCode(st.region), "guangdong");
  EXPECT_EQ(OccupationCode(st.occupation), "teacher");
  EXPECT_EQ(st.operator_id, options_.operator_id);
  auto trail = store_->AuditTrail(10);
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ((*trail)[0].action, "imported");
  EXPECT_EQ((*trail)[0].object, "sheet.csv: 2 statements");
}

TEST_F(ImportTest, AllOrNothingUnlessPartial) {
  std::string file =
      "name,organisations\n"
      "甲,party\n"
      ",party\n"   // line 3: no name
      "乙,工会\n"  // line 4: unknown organisation
      "丙,league\n";
  auto report = Import(file);
  EXPECT_FALSE(report.stored);
  ASSERT_EQ(report.rejected.size(), 2u);
  EXPECT_EQ(report.rejected[0].Describe(), "line 3: name: required");
  EXPECT_EQ(report.rejected[1].Describe(), "line 4: organisations: unknown value \"工会\"");
  EXPECT_EQ(store_->GetTotals()->statements, 0);

  options_.partial = true;
  report = Import(file);
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.imported, 2);
  EXPECT_EQ(store_->GetTotals()->statements, 2);
}

TEST_F(ImportTest, SecondImportAddsNothingEvenInAnotherEncoding) {
  std::string file = "姓名,组织\n王伟,党\n王伟,党\n李娜,团\n";
  EXPECT_EQ(Import(file).imported, 3);  // two persons named 王伟 are two persons
  auto again = Import(Convert(file, "GB18030"));
  EXPECT_EQ(again.imported, 0);
  EXPECT_EQ(again.duplicates, 3);
  EXPECT_EQ(again.duplicate_lines, (std::vector<int64_t>{2, 3, 4}));
  // The sheet grew: only the new row is added.
  EXPECT_EQ(Import(file + "赵六,队\n").imported, 1);
  EXPECT_EQ(store_->GetTotals()->persons, 4);
}

TEST_F(ImportTest, GroupRowsMakeOneStatementCountingEveryPerson) {
  auto report = Import(
      "组,姓名,组织,内容\n"
      "家1,父亲,党,我们全家退出\n"
      "家1,母亲,党团\n"
      "家1,女儿,队\n"
      ",独自一人,党\n");
  EXPECT_EQ(report.imported, 2);
  EXPECT_EQ(report.imported_persons, 4);
  EXPECT_EQ(store_->GetTotals()->persons, 4);
  auto s = store_->GetPublished(report.first_number);
  ASSERT_TRUE(s && s->has_value());
  EXPECT_EQ((*s)->persons.size(), 3u);
  EXPECT_EQ((*s)->text, "我们全家退出");
  EXPECT_EQ((*s)->persons[1].organisations, kParty | kLeague);

  // One bad row rejects its whole group.
  options_.partial = true;
  report = Import("group,name,organisations\ng,a,party\ng,b,nonsense\n");
  EXPECT_EQ(report.imported, 0);
  ASSERT_EQ(report.rejected.size(), 2u);
  EXPECT_EQ(report.rejected[0].Describe(), "line 2: group: its group was rejected (line 3)");
}

TEST_F(ImportTest, DryRunStoresNothing) {
  options_.dry_run = true;
  auto report = Import("name,organisations\na,party\n");
  EXPECT_EQ(report.statements, 1);
  EXPECT_FALSE(report.stored);
  EXPECT_EQ(store_->GetTotals()->statements, 0);
  EXPECT_TRUE(store_->AuditTrail(10)->empty());
}

TEST_F(ImportTest, RefusesSheetsWithoutNameColumn) {
  auto r = ImportCsv("组织,地区\n党,北京\n", options_, intake_.get());
  EXPECT_FALSE(r);
}

}  // namespace tuidang::intake
