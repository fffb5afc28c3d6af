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

TEST(RelativizeLinks, MakesLinksRelativeOrLive) {
  SiteMap m = Map();
  std::string html =
      "<link rel=\"stylesheet\" href=\"/static/site.css\"><a href=\"/en/statements?date=2026-11-21&amp;page=2\">"
      "<a href=\"/en/search\"><form action=\"/receipt\"><a href=\"https://x.org/\"><a href=\"/en/stats?range=all#days\">"
      "<a href=\"/en/statements/12\"><a href=\"/en/statements/16/certificate\">";
  EXPECT_EQ(RelativizeLinks(html, "en/statements/2026-11-21-2.html", m, "https://live.example"),
            "<link rel=\"stylesheet\" href=\"../../static/site.css\"><a href=\"2026-11-21-2.html\">"
            "<a href=\"https://live.example/en/search\"><form action=\"https://live.example/receipt\">"
            "<a href=\"https://x.org/\"><a href=\"../stats-all.html#days\">"
            "<a href=\"2026-11-21-2.html#s-12\"><a href=\"../../certificates/2026-11-21.html#c-16\">");
  EXPECT_EQ(RelativePath("index.html", "stats.html"), "stats.html");
}

}  // namespace
}  // namespace tuidang::exporter
