#include "export/links.h"

#include <charconv>

#include "core/vocabulary.h"
#include "web/page.h"

namespace tuidang::exporter {

namespace {

// The value of `name` in an undecoded query ("date=2026-11-23&page=2"); values of the
// export's own links are plain ASCII, so no percent-decoding is needed.
std::optional<std::string_view> QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<int64_t> Number(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::string> ExportPath(std::string_view url, const SiteMap& map) {
  url = url.substr(0, url.find('#'));
  size_t q = url.find('?');
  std::string_view path = url.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : url.substr(q + 1);
  if (path.starts_with("/log/")) return std::string(path.substr(1));
  if (path == "/static/site.css" || path == "/static/certificates.css" ||
      path == "/static/favicon.ico" || path == "/stats.csv") {
    return std::string(path.substr(1));
  }
  if (path == "/api/v1/stats") return std::string("api/v1/stats.json");
  std::string prefix;
  for (Language l : {Language::kTraditional, Language::kEnglish, Language::kSimplified}) {
    std::string p = "/" + std::string(LanguageCode(l));
    if (path == p || path.starts_with(p + "/")) {
      path.remove_prefix(p.size());
      if (l != Language::kSimplified) prefix = std::string(LanguageCode(l)) + "/";
      break;
    }
  }
  if (path.empty() || path == "/") return prefix + "index.html";
  if (path == "/submit" && query.empty()) return prefix + "submit.html";
  if (path == "/log") return prefix + "log.html";
  if (path == "/mirror") return prefix + "mirror.html";
  if (path == "/stats") {
    auto range = QueryValue(query, "range");
    if (!range || *range == "30") return prefix + "stats.html";
    if (*range == "365" || *range == "all")
      return prefix + "stats-" + std::string(*range) + ".html";
    return std::nullopt;
  }
  if (path == "/statements") {
    Day day = map.today;
    if (auto d = QueryValue(query, "date")) {
      auto parsed = ParseDay(*d);
      if (!parsed) return std::nullopt;
      day = *parsed;
    }
    if (day < map.first_day || day > map.last_day) return std::nullopt;
    int64_t page = 1;
    if (auto p = QueryValue(query, "page")) {
      auto parsed = Number(*p);
      if (!parsed) return std::nullopt;
      page = *parsed;
    }
    return DayListFile(prefix, day, page);
  }
  if (path.starts_with("/statements/")) {
    std::string_view rest = path.substr(12);
    bool certificate = false;
    if (rest.ends_with("/certificate")) {
      rest.remove_suffix(12);
      certificate = true;
    }
    auto number = Number(rest);
    if (!number || !map.locate) return std::nullopt;
    auto place = map.locate(*number);
    if (!place) return std::nullopt;
    std::string n = std::to_string(*number);
    if (certificate) {
      return CertificatesFile(prefix == "zh-hant/" ? prefix : "", place->day, place->page) + "#c-" +
             n;
    }
    return DayListFile(prefix, place->day, place->page) + "#s-" + n;
  }
  return std::nullopt;
}

std::string DayListFile(std::string_view prefix, Day day, int64_t page) {
  return std::string(prefix) + "statements/" + FormatDay(day) +
         (page > 1 ? "-" + std::to_string(page) : "") + ".html";
}

std::string CertificatesFile(std::string_view prefix, Day day, int64_t page) {
  return std::string(prefix) + "certificates/" + FormatDay(day) +
         (page > 1 ? "-" + std::to_string(page) : "") + ".html";
}

std::string RelativePath(std::string_view from, std::string_view to) {
  // Drop the folders both paths share, then climb out of the rest of `from`'s.
  for (;;) {
    size_t a = from.find('/'), b = to.find('/');
    if (a == std::string_view::npos || b == std::string_view::npos || a != b ||
        from.substr(0, a) != to.substr(0, b)) {
      break;
    }
    from.remove_prefix(a + 1);
    to.remove_prefix(b + 1);
  }
  std::string out;
  for (char c : from) {
    if (c == '/') out += "../";
  }
  out += to;
  return out;
}

std::string ExportLinks::Page(Language lang, std::string_view path) const {
  return Resolve(web::LocalUrl(lang, path));
}

std::string ExportLinks::File(std::string_view path) const { return Resolve(path); }

std::string ExportLinks::Asset(std::string_view name) const {
  return Resolve("/static/" + std::string(name));
}

std::string ExportLinks::Live(Language lang, std::string_view path) const {
  return live_base_ + web::LocalUrl(lang, path);
}

std::string ExportLinks::Resolve(std::string_view url) const {
  std::string_view fragment;
  if (size_t hash = url.find('#'); hash != std::string_view::npos) fragment = url.substr(hash);
  auto target = ExportPath(url, map_);
  if (!target) return live_base_ + std::string(url);
  std::string anchor(fragment);
  if (size_t hash = target->find('#'); hash != std::string::npos) {
    if (anchor.empty()) anchor = target->substr(hash);
    target->resize(hash);
  }
  return RelativePath(file_, *target) + anchor;
}

}  // namespace tuidang::exporter
