#include "export/links.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(ExportPath("/en/statements?date=2026-11-21&page=3", m), "en/statements/2026-11-21-3.html");
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
  EXPECT_EQ(links.Page(Language::kEnglish, "/statements?date=2026-11-21&page=2"), "2026-11-21-2.html");
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
  EXPECT_EQ(links.Page(Language::kEnglish, "/stats?range=7"), "https://live.example/en/stats?range=7");
  // Without a live address such links stay absolute, as the server would write them.
  ExportLinks offline("index.html", m, "");
  EXPECT_EQ(offline.Live(Language::kEnglish, "/search"), "/en/search");
  EXPECT_EQ(offline.Page(Language::kSimplified, "/"), "index.html");
  EXPECT_EQ(offline.Page(Language::kSimplified, "/statements"), "statements/2026-11-23.html");
  EXPECT_EQ(RelativePath("index.html", "stats.html"), "stats.html");
}

}  // namespace
}  // namespace tuidang::exporter
