// The pages as plain functions of a view and a link builder (pages.h), without a socket:
// the server's absolute links, every link coming from the builder, user text escaped.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "web/pages.h"
#include "web/static_files.h"

namespace tuidang::web {
namespace {

// The catalogs, loaded once (ctest sets TUIDANG_LOCALE_DIR to the build's).
class Pages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = Catalog::Load(Catalog::DefaultDir());
    if (c) catalog_ = std::make_unique<Catalog>(std::move(*c));
    else error_ = c.error();
  }
  void SetUp() override { ASSERT_NE(catalog_, nullptr) << error_; }
  static const Catalog& TestCatalog() { return *catalog_; }

 private:
  static inline std::unique_ptr<Catalog> catalog_;
  static inline std::string error_;
};

// Marks every link with the kind that was asked for, so that a test sees which links a page
// asked the builder for, and that it wrote none of its own.
class MarkingLinks final : public LinkBuilder {
 public:
  std::string Page(Language lang, std::string_view path) const override {
    return "page:" + std::string(LanguageCode(lang)) + ":" + std::string(path);
  }
  std::string File(std::string_view path) const override { return "file:" + std::string(path); }
  std::string Asset(std::string_view name) const override { return "asset:" + std::string(name); }
  std::string Live(Language lang, std::string_view path) const override {
    return "live:" + std::string(LanguageCode(lang)) + ":" + std::string(path);
  }
};

// Every href, src and action value of `html`.
std::vector<std::string> Links(const std::string& html) {
  static const std::regex attr(R"re( (?:href|src|action)="([^"]*)")re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attr); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

bool Has(const std::vector<std::string>& links, const std::string& link) {
  return std::find(links.begin(), links.end(), link) != links.end();
}

constexpr std::string_view kHostile = "<script>alert(\"x\")</script>&'";

Statement MakeStatement(int64_t number, Day day, std::string name) {
  Statement s;
  s.number = number;
  s.status = StatementStatus::kPublished;
  s.day = day;
  s.persons.push_back(Person{std::move(name), false, kParty | kLeague});
  s.text = std::string(kHostile);
  return s;
}

Totals MakeTotals(Day day) {
  Totals t;
  t.statements = 120;
  t.persons = 130;
  t.party = 120;
  t.by_day.push_back(DayCount{day - 40, 20, 25});
  t.by_day.push_back(DayCount{day, 100, 105});
  t.tree_size = 120;
  t.by_channel[1] = CategoryCount{120, 130};
  return t;
}

const Day kDay = *ParseDay("2026-11-21");

// The pages the export renders too, each as a plain function, in `ctx`.
std::vector<std::pair<std::string, std::string>> RenderAll(const PageContext& ctx) {
  std::vector<Statement> list;
  for (int64_t n = 60; n > 10; --n) {
    list.push_back(MakeStatement(n, kDay, "王" + std::to_string(n)));
  }
  std::vector<uint64_t> leaves(list.size(), 3);
  std::pair<uint64_t, std::string> checkpoint{120, "example.org/log\n120\nhash\n\n— sig\n"};
  Totals totals = MakeTotals(kDay);
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("home", HomeHtml(ctx, totals, kDay));
  out.emplace_back("day", DayListHtml(ctx, kDay, DayCount{kDay, 100, 105}, 120, 2, 3, list, true));
  out.emplace_back("statement", StatementHtml(ctx, list[0]));
  for (std::string_view range : {"30", "365", "all"}) {
    out.emplace_back("stats " + std::string(range), *StatsHtml(ctx, totals, range));
  }
  out.emplace_back("log",
                   LogHtml(ctx, "example.org/log", "example.org/log+abcd+KEY", checkpoint.second));
  out.emplace_back("certificate",
                   CertificateHtml(ctx, list[0], "example.org/log", 3, std::optional(checkpoint)));
  out.emplace_back("certificates",
                   DayCertificatesHtml(ctx, kDay, 2, list, leaves, "example.org/log", checkpoint));
  out.emplace_back("error", ErrorPage(ctx, http::status::not_found, "error.not_found").body());
  return out;
}

TEST_F(Pages, EveryLinkComesFromTheLinkBuilder) {
  MarkingLinks marking;
  for (Language lang : kLanguages) {
    PageContext ctx{TestCatalog(), lang, "/statements?date=2026-11-21&page=2", &marking};
    for (const auto& [name, html] : RenderAll(ctx)) {
      std::vector<std::string> links = Links(html);
      EXPECT_FALSE(links.empty()) << name;
      for (const std::string& link : links) {
        // "#main": the skip link, to the page itself.
        EXPECT_TRUE(link.starts_with("page:") || link.starts_with("file:") ||
                    link.starts_with("live:") || link.starts_with("asset:") || link == "#main")
            << name << " in " << LanguageCode(lang) << " writes its own link " << link;
      }
    }
  }
}

TEST_F(Pages, AskForTheRightKindOfLink) {
  MarkingLinks marking;
  PageContext ctx{TestCatalog(), Language::kEnglish, "/statements?date=2026-11-21&page=2",
                  &marking};
  auto pages = RenderAll(ctx);
  auto links = [&](std::string_view name) {
    for (const auto& [n, html] : pages) {
      if (n == name) return Links(html);
    }
    return std::vector<std::string>();
  };
  // The layout: style sheet, navigation (search only live), the page in the other languages
  // (its query escaped once, as every link).
  std::vector<std::string> day = links("day");
  EXPECT_TRUE(Has(day, "asset:site.css"));
  EXPECT_TRUE(Has(day, "asset:favicon.ico"));
  EXPECT_TRUE(Has(day, "page:en:/"));
  EXPECT_TRUE(Has(day, "page:en:/submit"));
  EXPECT_TRUE(Has(day, "live:en:/search"));
  EXPECT_TRUE(Has(day, "page:en:/log"));
  EXPECT_TRUE(Has(day, "page:zh-hans:/statements?date=2026-11-21&amp;page=2"));
  EXPECT_TRUE(Has(day, "page:zh-hant:/statements?date=2026-11-21&amp;page=2"));
  // The day list: its neighbours, its pages, its statements and their certificates.
  EXPECT_TRUE(Has(day, "page:en:/statements?date=2026-11-20"));
  EXPECT_TRUE(Has(day, "page:en:/statements?date=2026-11-21&amp;page=1"));
  EXPECT_TRUE(Has(day, "page:en:/statements?date=2026-11-21&amp;page=3"));
  EXPECT_TRUE(Has(day, "page:en:/statements/60"));
  EXPECT_TRUE(Has(day, "page:en:/statements/60/certificate"));
  std::vector<std::string> home = links("home");
  EXPECT_TRUE(Has(home, "live:en:/receipt"));
  std::vector<std::string> stats = links("stats 30");
  EXPECT_TRUE(Has(stats, "file:/stats.csv"));
  EXPECT_TRUE(Has(stats, "file:/api/v1/stats"));
  EXPECT_TRUE(Has(stats, "page:en:/stats?range=365#days"));
  EXPECT_TRUE(Has(links("log"), "file:/log/checkpoint"));
  EXPECT_TRUE(Has(links("certificate"), "asset:certificate.css"));
  // The certificates of a day page link to that page in their Chinese script.
  std::vector<std::string> certificates = links("certificates");
  EXPECT_TRUE(Has(certificates, "file:/static/certificates.css"));
  EXPECT_TRUE(Has(certificates, "page:zh-hans:/statements?date=2026-11-21&amp;page=2"));
}

TEST_F(Pages, ServerLinksAreAbsolute) {
  PageContext ctx{TestCatalog(), Language::kEnglish, "/statements?date=2026-11-21&page=2"};
  std::vector<Statement> list{MakeStatement(17, kDay, "王17")};
  std::string html = DayListHtml(ctx, kDay, DayCount{kDay, 120, 125}, 120, 2, 3, list);
  std::vector<std::string> links = Links(html);
  const std::string css = StaticUrl("site.css");
  for (const char* link :
       {css.c_str(), "/en/", "/en/submit", "/en/search", "/en/stats", "/en/log",
        "/statements?date=2026-11-21&amp;page=2", "/zh-hant/statements?date=2026-11-21&amp;page=2",
        "/en/statements?date=2026-11-20", "/en/statements?date=2026-11-21&amp;page=1",
        "/en/statements?date=2026-11-21&amp;page=3", "/en/statements/17"}) {
    EXPECT_TRUE(Has(links, link)) << link << " missing in\n" << html;
  }
  // The live server has a page per certificate: the day list does not link to them.
  EXPECT_FALSE(Has(links, "/en/statements/17/certificate"));
  // Simplified Chinese has no prefix, but its home page has one (no redirect on "/").
  PageContext zh{TestCatalog(), Language::kSimplified, "/"};
  std::vector<std::string> home = Links(HomeHtml(zh, MakeTotals(kDay), kDay));
  EXPECT_TRUE(Has(home, "/zh-hans/"));
  EXPECT_TRUE(Has(home, "/submit"));
  EXPECT_TRUE(Has(home, "/receipt"));
  EXPECT_TRUE(Has(home, "/zh-hant/"));
  EXPECT_TRUE(Has(home, "/en/"));
}

TEST_F(Pages, UserTextIsEscapedEverywhere) {
  const std::string name = "王<b>\"'&";
  for (Language lang : kLanguages) {
    PageContext ctx{TestCatalog(), lang, "/statements/17"};
    Statement s = MakeStatement(17, kDay, name);
    std::pair<uint64_t, std::string> checkpoint{120, "example.org/log\n120\n<hash>\n"};
    for (const std::string& html :
         {StatementHtml(ctx, s), DayListHtml(ctx, kDay, DayCount{kDay, 1, 1}, 1, 1, 1, {s}),
          CertificateHtml(ctx, s, "example.org/log", 3, std::optional(checkpoint)),
          DayCertificatesHtml(ctx, kDay, 1, {s}, {3}, "example.org/log", checkpoint)}) {
      EXPECT_EQ(html.find(kHostile), std::string::npos);
      EXPECT_EQ(html.find(name), std::string::npos);
      EXPECT_EQ(html.find("<hash>"), std::string::npos);
      EXPECT_EQ(html.find("<script"), std::string::npos);
      EXPECT_NE(html.find("王&lt;b&gt;&quot;&#39;&amp;"), std::string::npos);
    }
  }
}

TEST_F(Pages, StatsJsonIsTheApiBody) {
  Totals t = MakeTotals(kDay);
  std::string json = StatsJson(t, kDay);
  EXPECT_NE(json.find("\"total_persons\":130"), std::string::npos) << json;
  EXPECT_NE(json.find("\"today\":{\"date\":\"2026-11-21\",\"persons\":105,\"statements\":100}"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace tuidang::web
