// Where each page of the live site lands in a static export, and the export's link builder
// that renders every link of a page relative to the page's own file, so that an export
// works from any path, any host, or a USB stick opened with file:// (docs/export.md lists
// the layout).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/day.h"
#include "web/link_builder.h"

namespace tuidang::exporter {

// Where a statement is in the export: page `page` of the day list of `day`. Its entry there
// has the anchor "s-<number>", its certificate the anchor "c-<number>" in the day page's
// certificates file (docs/export.md: the export has no file per statement).
struct StatementPlace {
  Day day = 0;
  int64_t page = 1;
};

// What the layout needs to know about the data: the days the export holds day lists for,
// and where a statement number is (nullopt when the export does not hold it).
struct SiteMap {
  Day first_day = 0, last_day = -1;  // day lists exist for [first_day, last_day]
  Day today = 0;                     // what /statements without a date means
  std::function<std::optional<StatementPlace>(int64_t number)> locate;
};

// The export's file for a site URL ("/en/statements?date=2026-11-23&page=2" gives
// "en/statements/2026-11-23-2.html"); a statement's URL gives its anchor in a day list
// ("/statements/17" gives "statements/2026-11-23.html#s-17") and its certificate's URL the
// anchor in the certificates file of that day page ("/en/statements/17/certificate" gives
// "certificates/2026-11-23.html#c-17": the certificates are bilingual, so English shares the
// Simplified Chinese ones). The URL's own fragment is dropped. nullopt when the export has
// no such page (search, receipts, forms that post): those links go to the live site.
std::optional<std::string> ExportPath(std::string_view url, const SiteMap& map);

// The file of page `page` of a day's list ("statements/2026-11-23-2.html") and of its
// certificates ("certificates/2026-11-23-2.html"), under `prefix` ("", "zh-hant/", "en/").
std::string DayListFile(std::string_view prefix, Day day, int64_t page);
std::string CertificatesFile(std::string_view prefix, Day day, int64_t page);

// The export's links (web/link_builder.h) from the page written at `file` (its path in the
// export, "en/stats.html"): a page or file the export holds by its path relative to `file`'s
// folder, with the URL's fragment or else the export path's (a statement's anchor); any
// other page, and the live-only ones, at `live_base` + its URL (the URL itself when
// `live_base` is empty). `map` must outlive it; immutable, so threads may share it.
class ExportLinks final : public web::LinkBuilder {
 public:
  ExportLinks(std::string file, const SiteMap& map, std::string_view live_base)
      : file_(std::move(file)), map_(map), live_base_(live_base) {}
  std::string Page(Language lang, std::string_view path) const override;
  std::string File(std::string_view path) const override;
  // The plain file ("static/site.css"), relative: the export writes static files unversioned.
  std::string Asset(std::string_view name) const override;
  std::string Live(Language lang, std::string_view path) const override;

 private:
  // `url` is a site URL with its language prefix ("/en/stats?range=all#days").
  std::string Resolve(std::string_view url) const;

  const std::string file_;
  const SiteMap& map_;
  const std::string live_base_;
};

// The relative path from the folder of `from` to `to` (both paths in the export).
std::string RelativePath(std::string_view from, std::string_view to);

}  // namespace tuidang::exporter
