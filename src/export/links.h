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

// What the layout needs to know about the data: the days the export holds day lists for,
// and the day of a statement number (nullopt when the export has no page for it).
struct SiteMap {
  Day first_day = 0, last_day = -1;  // day lists exist for [first_day, last_day]
  Day today = 0;                     // what /statements without a date means
  std::function<std::optional<Day>(int64_t number)> day_of;
};

// The export's file for a site URL ("/en/statements?date=2026-11-23&page=2" gives
// "en/statements/2026-11-23-2.html"), without fragment; nullopt when the export has no such
// page (search, receipts, forms that post): those links go to the live site.
std::optional<std::string> ExportPath(std::string_view url, const SiteMap& map);

// `html` with every href, src and action that starts with '/' rewritten: to the relative
// path of its export file as seen from `file` (a path in the export, "en/stats.html"), or,
// when the export has no such page, to `live_base` + the URL (unchanged when `live_base` is
// empty). Fragments are kept.
std::string RelativizeLinks(std::string_view html, std::string_view file, const SiteMap& map,
                            std::string_view live_base);

// The relative path from the folder of `from` to `to` (both paths in the export).
std::string RelativePath(std::string_view from, std::string_view to);

}  // namespace tuidang::exporter
