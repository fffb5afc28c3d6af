// Where each page of the live site lands in a static export, and the rewriting of a
// rendered page's links into relative ones, so that an export works from any path, any
// host, or a USB stick opened with file:// (docs/export.md lists the layout).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/day.h"

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

// `html` with every href, src and action that starts with '/' rewritten: to the relative
// path of its export file as seen from `file` (a path in the export, "en/stats.html"), or,
// when the export has no such page, to `live_base` + the URL (unchanged when `live_base` is
// empty). The URL's fragment is kept; else the export path's (a statement's anchor).
std::string RelativizeLinks(std::string_view html, std::string_view file, const SiteMap& map,
                            std::string_view live_base);

// The relative path from the folder of `from` to `to` (both paths in the export).
std::string RelativePath(std::string_view from, std::string_view to);

}  // namespace tuidang::exporter
