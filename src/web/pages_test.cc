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

// Moderation counters of the two days before kDay, one with a reason no catalog names.
ModerationFigures MakeModeration(Day day) {
  ModerationFigures f;
  f.through = day - 1;
  f.counts = {{day - 2, ModerationEvent::kHeld, "no_pow", 4},
              {day - 1, ModerationEvent::kRejected, "<b>x</b>", 2},
              {day - 1, ModerationEvent::kWithdrawn, "danger", 1},
              {day, ModerationEvent::kHeld, "review", 9}};  // today: never shown
  return f;
}

// An opening whose record holds markup, as a declarant's text may.
Opening MakeOpening() {
  return Opening{41, std::string(16, '\x01'), R"({"number":60,"text":"<script>&'"})"};
}

const LogFacts kLogFacts{
    "example.org/log", "example.org/log+abcd+KEY", "https://example.org/", "", "", {}};

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
  out.emplace_back("statement", StatementHtml(ctx, list[0], MakeOpening(), "https://example.org"));
  for (std::string_view range : {"30", "365", "all"}) {
    out.emplace_back("stats " + std::string(range),
                     *StatsHtml(ctx, totals, range, MakeModeration(kDay)));
  }
  out.emplace_back("log", LogHtml(ctx, kLogFacts, checkpoint.second));
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
  EXPECT_TRUE(Has(links("log"), "page:en:/about"));  // no software_url: ask the center
  std::vector<std::string> statement = links("statement");
  EXPECT_TRUE(Has(statement, "page:en:/statements/60/certificate"));
  EXPECT_TRUE(Has(statement, "page:en:/statements?date=2026-11-21#s-60"));
  EXPECT_TRUE(Has(statement, "page:en:/log#verify"));
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
         {StatementHtml(ctx, s, MakeOpening(), "https://example.org"),
          DayListHtml(ctx, kDay, DayCount{kDay, 1, 1}, 1, 1, 1, {s}),
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
  std::string json = StatsJson(t, kDay, MakeModeration(kDay));
  EXPECT_NE(json.find("\"total_persons\":130"), std::string::npos) << json;
  EXPECT_NE(json.find("\"today\":{\"date\":\"2026-11-21\",\"persons\":105,\"statements\":100}"),
            std::string::npos)
      << json;
}

TEST_F(Pages, ModerationCountsOfClosedDaysOnly) {
  const ModerationFigures f = MakeModeration(kDay);
  std::string json = StatsJson(MakeTotals(kDay), kDay, f);
  EXPECT_NE(json.find("\"moderation\":{\"through\":\"2026-11-20\",\"by_day\":[{\"date\":"
                      "\"2026-11-19\",\"held\":{\"no_pow\":4},\"rejected\":{},\"withdrawn\":{}},"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find("\"review\""), std::string::npos) << "today's count shown: " << json;
  std::string csv = StatsCsvText(MakeTotals(kDay), f);
  EXPECT_NE(csv.find("moderation_through,2026-11-20,,\r\nheld,2026-11-19/no_pow,,4\r\n"
                     "rejected,2026-11-20/<b>x</b>,,2\r\nwithdrawn,2026-11-20/danger,,1\r\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(csv.find("review"), std::string::npos) << csv;
  PageContext ctx{TestCatalog(), Language::kEnglish, "/stats"};
  std::string html = *StatsHtml(ctx, MakeTotals(kDay), "30", f);
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;x&lt;/b&gt;: 2"), std::string::npos) << html;
  EXPECT_EQ(html.find(">9<"), std::string::npos);
  // The log's entries explained beside the total: 120 entries, 120 statements, none withdrawn.
  EXPECT_NE(html.find("id=\"entries\""), std::string::npos);
}

TEST_F(Pages, LogPageCommandHasTheSiteScheme) {
  PageContext ctx{TestCatalog(), Language::kEnglish, "/log"};
  std::string html = LogHtml(ctx, kLogFacts, std::string("example.org/log\n120\nhash=\n\n— k\n"));
  EXPECT_NE(html.find("tuidang audit https://example.org --vkey example.org/log+abcd+KEY"),
            std::string::npos)
      << html;
  LogFacts with_url = kLogFacts;
  with_url.software_url = "https://example.org/<tuidang>";
  html = LogHtml(ctx, with_url, std::nullopt);
  EXPECT_NE(html.find("<code>https://example.org/&lt;tuidang&gt;</code>"), std::string::npos);
}

}  // namespace
}  // namespace tuidang::web
