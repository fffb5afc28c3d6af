#include "export/links.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "web/pages.h"

namespace tuidang::exporter {
namespace {

SiteMap Map() {
  SiteMap m;
  m.first_day = *ParseDay("2026-11-20");
  m.last_day = m.today = *ParseDay("2026-11-23");
  m.locate = [](int64_t n) -> std::optional<StatementPlace> {
    if (n >= 10 && n <= 20) return StatementPlace{*ParseDay("2026-11-21"), n < 15 ? 2 : 1};
    return std::nullopt;
  };
  return m;
}

TEST(ExportPath, MapsEveryExportedPage) {
  SiteMap m = Map();
  EXPECT_EQ(ExportPath("/", m), "index.html");
  EXPECT_EQ(ExportPath("/zh-hans/", m), "index.html");
  EXPECT_EQ(ExportPath("/en/", m), "en/index.html");
  EXPECT_EQ(ExportPath("/zh-hant/stats?range=365#days", m), "zh-hant/stats-365.html");
  EXPECT_EQ(ExportPath("/en/stats", m), "en/stats.html");
  EXPECT_EQ(ExportPath("/statements", m), "statements/2026-11-23.html");
  EXPECT_EQ(ExportPath("/en/statements?date=2026-11-21&page=3", m),
            "en/statements/2026-11-21-3.html");
  EXPECT_EQ(ExportPath("/statements/12", m), "statements/2026-11-21-2.html#s-12");
  EXPECT_EQ(ExportPath("/zh-hant/statements/17", m), "zh-hant/statements/2026-11-21.html#s-17");
  EXPECT_EQ(ExportPath("/statements/12/certificate", m), "certificates/2026-11-21-2.html#c-12");
  EXPECT_EQ(ExportPath("/en/statements/17/certificate", m), "certificates/2026-11-21.html#c-17");
  EXPECT_EQ(ExportPath("/zh-hant/statements/17/certificate", m),
            "zh-hant/certificates/2026-11-21.html#c-17");
  EXPECT_FALSE(ExportPath("/statements/17/other", m));
  EXPECT_EQ(ExportPath("/log/tile/0/000.p/3", m), "log/tile/0/000.p/3");
  EXPECT_EQ(ExportPath("/api/v1/stats", m), "api/v1/stats.json");
  EXPECT_EQ(ExportPath("/static/site.css", m), "static/site.css");
  EXPECT_EQ(ExportPath("/static/favicon.ico", m), "static/favicon.ico");
  EXPECT_FALSE(ExportPath("/statements?date=2026-11-19", m));  // before the first day
  EXPECT_FALSE(ExportPath("/statements/99", m));
  EXPECT_FALSE(ExportPath("/search", m));
  EXPECT_FALSE(ExportPath("/receipt", m));
  EXPECT_FALSE(ExportPath("/stats?range=7", m));
}

// What the rewriting of rendered pages asserted (it is gone: pages render these links).
TEST(ExportLinks, LinksRelativeToTheFileOrLive) {
  SiteMap m = Map();
  ExportLinks links("en/statements/2026-11-21-2.html", m, "https://live.example");
  EXPECT_EQ(links.File("/static/site.css"), "../../static/site.css");
  EXPECT_EQ(links.Asset("site.css"), "../../static/site.css");
  EXPECT_EQ(links.Page(Language::kEnglish, "/statements?date=2026-11-21&page=2"),
            "2026-11-21-2.html");
  EXPECT_EQ(links.Live(Language::kEnglish, "/search"), "https://live.example/en/search");
  EXPECT_EQ(links.Live(Language::kSimplified, "/receipt"), "https://live.example/receipt");
  EXPECT_EQ(links.Page(Language::kEnglish, "/stats?range=all#days"), "../stats-all.html#days");
  EXPECT_EQ(links.Page(Language::kEnglish, "/statements/12"), "2026-11-21-2.html#s-12");
  EXPECT_EQ(links.Page(Language::kEnglish, "/statements/16/certificate"),
            "../../certificates/2026-11-21.html#c-16");
  // The other languages of the same page, and files the export holds beside the pages.
  EXPECT_EQ(links.Page(Language::kSimplified, "/statements?date=2026-11-21&page=2"),
            "../../statements/2026-11-21-2.html");
  EXPECT_EQ(links.Page(Language::kTraditional, "/"), "../../zh-hant/index.html");
  EXPECT_EQ(links.File("/log/checkpoint"), "../../log/checkpoint");
  EXPECT_EQ(links.File("/api/v1/stats"), "../../api/v1/stats.json");
  // What the export does not hold is on the live site: a day before the first, a statement
  // of another day, a stats range it does not render.
  EXPECT_EQ(links.Page(Language::kEnglish, "/statements?date=2026-11-19"),
            "https://live.example/en/statements?date=2026-11-19");
  EXPECT_EQ(links.Page(Language::kSimplified, "/statements/99"),
            "https://live.example/statements/99");
  EXPECT_EQ(links.Page(Language::kEnglish, "/stats?range=7"),
            "https://live.example/en/stats?range=7");
  // Without a live address such links stay absolute, as the server would write them.
  ExportLinks offline("index.html", m, "");
  EXPECT_EQ(offline.Live(Language::kEnglish, "/search"), "/en/search");
  EXPECT_EQ(offline.Page(Language::kSimplified, "/"), "index.html");
  EXPECT_EQ(offline.Page(Language::kSimplified, "/statements"), "statements/2026-11-23.html");
  EXPECT_EQ(RelativePath("index.html", "stats.html"), "stats.html");
}

// A day list page and its certificates rendered as the export renders them: every link
// relative to the page's file or on the live site, none absolute.
TEST(ExportLinks, PagesRenderTheirLinksRelative) {
  auto catalog = web::Catalog::Load(web::Catalog::DefaultDir());
  ASSERT_TRUE(catalog) << catalog.error();
  SiteMap m = Map();
  const Day day = *ParseDay("2026-11-21");
  std::vector<Statement> list;
  for (int64_t n : {14, 13}) {
    Statement s;
    s.number = n;
    s.status = StatementStatus::kPublished;
    s.day = day;
    s.persons.push_back(Person{"王" + std::to_string(n), false, kParty});
    list.push_back(std::move(s));
  }
  const std::string url = "/statements?date=2026-11-21&page=2";
  const std::regex attr(R"re( (?:href|src|action)="([^"]*)")re");
  auto links_of = [&](const std::string& html) {
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), attr);
         it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1]);
    }
    return out;
  };

  const std::string file = DayListFile("en/", day, 2);
  ExportLinks links(file, m, "https://live.example");
  web::PageContext ctx{*catalog, Language::kEnglish, url, &links};
  std::set<std::string> day_links =
      links_of(web::DayListHtml(ctx, day, DayCount{day, 52, 52}, 60, 2, 2, list, true));
  for (const char* link :
       {"../../static/site.css", "../index.html", "../submit.html",
        "https://live.example/en/search", "../stats.html", "../log.html",
        "../../statements/2026-11-21-2.html", "../../zh-hant/statements/2026-11-21-2.html",
        "2026-11-20.html", "2026-11-22.html", "2026-11-21.html", "2026-11-21-2.html#s-14",
        "../../certificates/2026-11-21-2.html#c-14", "../../certificates/2026-11-21-2.html#c-13"}) {
    EXPECT_TRUE(day_links.contains(link)) << link;
  }
  for (const std::string& link : day_links) EXPECT_FALSE(link.starts_with("/")) << link;

  const std::string certificates_file = CertificatesFile("zh-hant/", day, 2);
  ExportLinks certificate_links(certificates_file, m, "https://live.example");
  web::PageContext zh{*catalog, Language::kTraditional, url, &certificate_links};
  std::set<std::string> certificate_page = links_of(web::DayCertificatesHtml(
      zh, day, 2, list, {5, 4}, "example.org/log", {60, "example.org/log\n60\nhash\n"}));
  EXPECT_EQ(certificate_page, (std::set<std::string>{"../../static/certificates.css",
                                                     "../statements/2026-11-21-2.html"}));
}

}  // namespace
}  // namespace tuidang::exporter
