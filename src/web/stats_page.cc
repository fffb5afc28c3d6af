// The statistics: /stats (totals, categories, charts drawn on the server as SVG, and the
// numbers behind them in tables), /stats.csv, and the "as of" line of every page that shows
// counts. Everything comes from the store's totals snapshot (kept per batch, never counted
// per request). docs/stats.md describes the figures and the formats.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

// Bars drawn at most in one chart: beyond it days are grouped into equal spans, so that the
// page stays small however long the record ("everything" over ten years is 3,650 days).
constexpr int kMaxBars = 400;
// The chart's drawing box, in SVG user units (it scales to the page's width).
constexpr int kChartWidth = 640, kChartHeight = 180, kChartLeft = 1;

struct Range {
  std::string_view code;  // "30", "365", "all"
  int days;               // 0: everything
};
constexpr Range kRanges[] = {{"30", 30}, {"365", 365}, {"all", 0}};

// One point of a chart: a span of days.
struct Span {
  Day first, last;
  int64_t persons = 0, statements = 0;
  int64_t cumulative = 0;  // persons counted up to the span's last day, since the beginning
};

std::string Title(const PageContext& ctx, const Span& s) {
  std::string days = FormatDay(s.first);
  if (s.last != s.first) days += " – " + FormatDay(s.last);
  return days;
}

// The frame of a chart: its accessible title and axes. `top` is the largest value. The
// labels are HTML around the drawing, not SVG text: text inside the SVG scales with it and
// would be about 5 px high on a 320 px phone.
void OpenChart(const PageContext& ctx, std::string* out, std::string_view id,
               std::string_view title, int64_t top) {
  *out += "<figure><p class=\"axis\"><span>" +
          HtmlEscape(ctx.Format("stats.chart.top", FormatCount(top))) + "</span></p>";
  *out += fmt::format(
      "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{0}-t\" viewBox=\"0 0 {1} {2}\" "
      "preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{0}-t\">",
      id, kChartWidth, kChartHeight + 1);
  AppendHtmlEscaped(out, title);
  *out += "</title>";
  *out += fmt::format(
      "<line x1=\"{0}\" y1=\"0\" x2=\"{0}\" y2=\"{1}\" stroke=\"#888\"/>"
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#888\"/>",
      kChartLeft, kChartHeight, kChartWidth);
}

void CloseChart(std::string* out, std::string_view caption, const std::vector<Span>& spans) {
  *out += "</svg>";
  if (!spans.empty()) {
    *out += "<p class=\"axis\"><span>" + FormatDay(spans.front().first) + "</span><span>" +
            FormatDay(spans.back().last) + "</span></p>";
  }
  *out += "<figcaption>";
  AppendHtmlEscaped(out, caption);
  *out += "</figcaption></figure>";
}

void AppendBarChart(const PageContext& ctx, const std::vector<Span>& spans, std::string* out) {
  int64_t top = 1;
  for (const Span& s : spans) top = std::max(top, s.persons);
  std::string title =
      ctx.Format("stats.chart.daily", FormatDay(spans.front().first), FormatDay(spans.back().last));
  OpenChart(ctx, out, "daily", title, top);
  double width = static_cast<double>(kChartWidth - kChartLeft) / static_cast<double>(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    if (s.persons == 0) continue;
    double h = static_cast<double>(s.persons) * kChartHeight / static_cast<double>(top);
    *out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"#8b0000\"><title>",
        kChartLeft + width * static_cast<double>(i), kChartHeight - h, std::max(width * 0.8, 0.5),
        h);
    AppendHtmlEscaped(out, Title(ctx, s) + ": " + FormatCount(s.persons));
    *out += "</title></rect>";
  }
  CloseChart(out, title, spans);
}

void AppendLineChart(const PageContext& ctx, const std::vector<Span>& spans, std::string* out) {
  int64_t top = std::max<int64_t>(1, spans.back().cumulative);
  std::string title = ctx.Format("stats.chart.cumulative", FormatDay(spans.front().first),
                                 FormatDay(spans.back().last));
  OpenChart(ctx, out, "cumulative", title, top);
  double step = spans.size() > 1 ? static_cast<double>(kChartWidth - kChartLeft) /
                                       static_cast<double>(spans.size() - 1)
                                 : 0;
  *out += "<polyline fill=\"none\" stroke=\"#8b0000\" stroke-width=\"2\" points=\"";
  for (size_t i = 0; i < spans.size(); ++i) {
    double y = kChartHeight -
               static_cast<double>(spans[i].cumulative) * kChartHeight / static_cast<double>(top);
    *out += fmt::format("{:.1f},{:.1f} ", kChartLeft + step * static_cast<double>(i), y);
  }
  *out += "\"/>";
  CloseChart(out, title, spans);
}

// The spans of the chosen range, from its first day to today (for everything: from the
// first day with a publication), grouped so that there are at most kMaxBars of them.
std::vector<Span> Spans(const Totals& t, int range_days) {
  Day today = std::max(Today(), t.by_day.empty() ? Today() : t.by_day.back().day);
  Day first =
      range_days > 0 ? today - range_days + 1 : (t.by_day.empty() ? today : t.by_day.front().day);
  int64_t days = today - first + 1;
  int64_t group = (days + kMaxBars - 1) / kMaxBars;
  std::vector<Span> spans;
  int64_t cumulative = 0;
  auto it = t.by_day.begin();
  for (; it != t.by_day.end() && it->day < first; ++it) cumulative += it->persons;
  for (Day d = first; d <= today; d += static_cast<Day>(group)) {
    Span s{d, std::min<Day>(today, d + static_cast<Day>(group) - 1)};
    for (; it != t.by_day.end() && it->day <= s.last; ++it) {
      s.persons += it->persons;
      s.statements += it->statements;
    }
    cumulative += s.persons;
    s.cumulative = cumulative;
    spans.push_back(s);
  }
  return spans;
}

// The first day of a range's moderation counters; 0 for everything.
Day RangeFirstDay(const Range& r) { return r.days > 0 ? Today() - r.days + 1 : 0; }

std::string_view CategoryKey(Category c) {
  switch (c) {
    case Category::kChannel: return "channel.";
    case Category::kRegion: return "region.";
    case Category::kOccupation: return "occupation.";
  }
  return "";
}

void AppendCategoryTable(const PageContext& ctx, std::string_view id, std::string_view heading,
                         Category category, const std::map<int, CategoryCount>& counts,
                         std::string* out) {
  *out += fmt::format("<h2 id=\"{}\">", id) + ctx.TrHtml(heading) + "</h2>";
  *out += "<table class=\"figures\"><thead><tr><th scope=\"col\">" +
          ctx.TrHtml("stats.col.category") + "</th><th scope=\"col\">" +
          ctx.TrHtml("stats.col.persons") + "</th><th scope=\"col\">" +
          ctx.TrHtml("stats.col.statements") + "</th></tr></thead><tbody>";
  // Given values in the vocabulary's order, "not given" last.
  std::vector<std::pair<int, CategoryCount>> rows(counts.begin(), counts.end());
  std::stable_partition(rows.begin(), rows.end(), [](const auto& r) { return r.first != 0; });
  for (const auto& [value, c] : rows) {
    std::string code = CategoryCode(category, value);
    std::string name =
        value == 0 ? ctx.Tr("stats.not_given") : ctx.Tr(std::string(CategoryKey(category)) + code);
    *out += "<tr><th scope=\"row\">" + HtmlEscape(name) + "</th><td>" + FormatCount(c.persons) +
            "</td><td>" + FormatCount(c.statements) + "</td></tr>";
  }
  if (rows.empty()) *out += "<tr><td colspan=\"3\">" + ctx.TrHtml("stats.no_data") + "</td></tr>";
  *out += "</tbody></table>";
}

// What the total counts, next to it: a log entry is a statement or a withdrawal, so the
// log has two entries more than the count for each withdrawn statement (the first N
// entries of AsOfHtml beside the smaller number of statements), and what never entered it.
std::string EntriesHtml(const PageContext& ctx, const Totals& t) {
  const auto size = static_cast<int64_t>(t.tree_size);
  std::string text;
  // size = statement entries + withdrawal entries, and the count = statement entries -
  // withdrawal entries (docs/log-format.md "The count"), so both follow from the totals.
  if (size >= t.statements && (size - t.statements) % 2 == 0) {
    const int64_t withdrawals = (size - t.statements) / 2;
    text = ctx.Format("stats.entries", FormatCount(size), FormatCount(t.statements + withdrawals),
                      FormatCount(withdrawals), FormatCount(t.statements));
  } else {
    text = ctx.Tr("stats.entries_plain");
  }
  return "<p id=\"entries\">" + HtmlEscape(text) + " " + ctx.TrHtml("stats.entries_moderation") +
         "</p>";
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string CategoryCode(Category category, int value) {
  if (value == 0) return "not_given";
  switch (category) {
    case Category::kChannel: return std::string(ChannelCode(static_cast<Channel>(value)));
    case Category::kRegion: return std::string(RegionCode(static_cast<Region>(value)));
    case Category::kOccupation: return std::string(OccupationCode(static_cast<Occupation>(value)));
  }
  return std::to_string(value);
}

std::string AsOfHtml(const PageContext& ctx, uint64_t tree_size) {
  return "<p class=\"as-of\">" +
         HtmlEscape(ctx.Format("stats.as_of", FormatCount(static_cast<int64_t>(tree_size)))) +
         " <a href=\"" + ctx.Href("/log") + "\">" + ctx.TrHtml("stats.log_link") + "</a></p>";
}

std::optional<std::string> StatsHtml(const PageContext& ctx, const Totals& t,
                                     std::string_view range_code,
                                     const ModerationFigures& moderation) {
  const Range* range = nullptr;
  for (const Range& r : kRanges) {
    if (r.code == range_code) range = &r;
  }
  if (range == nullptr) return std::nullopt;

  std::string b = "<h1>" + ctx.TrHtml("stats.title") + "</h1>";
  b += AsOfHtml(ctx, t.tree_size);
  b += "<p>" + ctx.TrHtml("stats.total_persons") +
       " <strong class=\"count\" id=\"total-persons\">" + FormatCount(t.persons) +
       "</strong></p><p>" + ctx.TrHtml("stats.total_statements") +
       " <strong id=\"total-statements\">" + FormatCount(t.statements) + "</strong></p>";
  b += EntriesHtml(ctx, t);

  b += "<h2 id=\"organisations\">" + ctx.TrHtml("stats.by_organisation") + "</h2>";
  b += "<table class=\"figures\"><thead><tr><th scope=\"col\">" +
       ctx.TrHtml("stats.col.organisation") + "</th><th scope=\"col\">" +
       ctx.TrHtml("stats.col.persons") + "</th></tr></thead><tbody>";
  for (auto [code, n] : {std::pair{"party", t.party}, std::pair{"league", t.league},
                         std::pair{"pioneers", t.pioneers}}) {
    b += "<tr><th scope=\"row\">" + ctx.TrHtml(std::string("org.long.") + code) + "</th><td>" +
         FormatCount(n) + "</td></tr>";
  }
  b += "</tbody></table>";

  // The charts of the chosen range, then the numbers behind them.
  b += "<h2 id=\"days\">" + ctx.TrHtml("stats.by_day") + "</h2><p class=\"ranges\">" +
       ctx.TrHtml("stats.range") + " ";
  for (const Range& r : kRanges) {
    std::string label = ctx.TrHtml(std::string("stats.range.") + std::string(r.code));
    if (&r == range) {
      b += "<strong>" + label + "</strong> ";
    } else {
      b +=
          "<a href=\"" +
          ctx.Href(r.code == "30" ? std::string("/stats") : "/stats?range=" + std::string(r.code)) +
          "#days\">" + label + "</a> ";
    }
  }
  b += "</p>";
  std::vector<Span> spans = Spans(t, range->days);
  AppendBarChart(ctx, spans, &b);
  AppendLineChart(ctx, spans, &b);
  // Focusable, so that a keyboard can scroll the table sideways on a phone (axe:
  // scrollable-region-focusable).
  b += "<div class=\"scroll\" tabindex=\"0\"><table class=\"figures\" id=\"day-table\"><caption>" +
       ctx.TrHtml("stats.day_table") + "</caption><thead><tr><th scope=\"col\">" +
       ctx.TrHtml("stats.col.date") + "</th><th scope=\"col\">" + ctx.TrHtml("stats.col.persons") +
       "</th><th scope=\"col\">" + ctx.TrHtml("stats.col.statements") + "</th><th scope=\"col\">" +
       ctx.TrHtml("stats.col.cumulative") + "</th></tr></thead><tbody>";
  bool any = false;
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    if (it->statements == 0) continue;  // days without publications only in the charts
    any = true;
    b += "<tr><th scope=\"row\">" + HtmlEscape(Title(ctx, *it)) + "</th><td>" +
         FormatCount(it->persons) + "</td><td>" + FormatCount(it->statements) + "</td><td>" +
         FormatCount(it->cumulative) + "</td></tr>";
  }
  if (!any) b += "<tr><td colspan=\"4\">" + ctx.TrHtml("stats.no_data") + "</td></tr>";
  b += "</tbody></table></div>";

  AppendCategoryTable(ctx, "channels", "stats.by_channel", Category::kChannel, t.by_channel, &b);
  AppendCategoryTable(ctx, "regions", "stats.by_region", Category::kRegion, t.by_region, &b);
  AppendCategoryTable(ctx, "occupations", "stats.by_occupation", Category::kOccupation,
                      t.by_occupation, &b);
  b += ModerationHtml(ctx, moderation, RangeFirstDay(*range));
  b += "<p>" + ctx.TrHtml("stats.downloads") + " <a href=\"" + ctx.FileHref("/stats.csv") + "\">" +
       ctx.TrHtml("stats.csv") + "</a> <a href=\"" + ctx.FileHref("/api/v1/stats") + "\">" +
       ctx.TrHtml("stats.json") + "</a></p>";
  return Layout(ctx, ctx.Tr("stats.title"), b, ctx.Tr("meta.stats"));
}

Response StatsPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  const Form& query = rq.query;
  std::string range = "30";
  if (auto r = query.Get("range")) range = std::string(*r);
  auto totals = env.store->GetTotals();
  // Rendered at most once a second per language and range, however many readers; a new day
  // is a new page (its moderation counters close the day before).
  const Day today = Today();
  std::string key = fmt::format("stats|{}|{}|{}", LanguageCode(ctx.lang), range, today);
  bool gzip = AcceptsGzip(rq.http[http::field::accept_encoding]);
  if (auto cached =
          env.cache->Get(key, static_cast<int64_t>(totals->tree_size), std::chrono::seconds(1))) {
    return CachedHtmlResponse(*cached, gzip, Caching::kShort);
  }
  const Range* chosen = nullptr;
  for (const Range& r : kRanges) {
    if (r.code == range) chosen = &r;
  }
  if (chosen == nullptr) return ErrorPage(ctx, http::status::bad_request, "error.range");
  auto moderation = ReadModerationFigures(env.store, RangeFirstDay(*chosen), today);
  if (!moderation) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  auto html = StatsHtml(ctx, *totals, range, *moderation);
  if (!html) return ErrorPage(ctx, http::status::bad_request, "error.range");
  auto body = std::make_shared<const CachedBody>(HtmlPrecompressed(std::move(*html)));
  env.cache->Put(key, static_cast<int64_t>(totals->tree_size), body);
  return CachedHtmlResponse(*body, gzip, Caching::kShort);
}

std::string StatsCsvText(const Totals& t, const ModerationFigures& moderation) {
  std::string out = "kind,key,persons,statements\r\n";
  out += fmt::format("tree_size,{},,\r\n", t.tree_size);
  out += fmt::format("total,,{},{}\r\n", t.persons, t.statements);
  out += fmt::format(
      "organisation,party,{},\r\norganisation,league,{},\r\n"
      "organisation,pioneers,{},\r\n",
      t.party, t.league, t.pioneers);
  for (auto [kind, category, counts] :
       {std::tuple{"channel", Category::kChannel, &t.by_channel},
        std::tuple{"region", Category::kRegion, &t.by_region},
        std::tuple{"occupation", Category::kOccupation, &t.by_occupation}}) {
    for (const auto& [value, c] : *counts) {
      out += fmt::format("{},{},{},{}\r\n", kind, CsvField(CategoryCode(category, value)),
                         c.persons, c.statements);
    }
  }
  for (const DayCount& d : t.by_day) {
    if (d.statements == 0 && d.persons == 0) continue;
    out += fmt::format("day,{},{},{}\r\n", FormatDay(d.day), d.persons, d.statements);
  }
  AppendModerationCsv(moderation, &out);
  return out;
}

Response StatsCsv(const AppEnv& env) {
  auto moderation = ReadModerationFigures(env.store, 0, Today());
  if (!moderation) {
    return TextResponse(http::status::service_unavailable, "storage unavailable\n",
                        "text/plain; charset=utf-8", Caching::kNoStore);
  }
  Response res = TextResponse(http::status::ok, StatsCsvText(*env.store->GetTotals(), *moderation),
                              "text/csv; charset=utf-8; header=present", Caching::kNoStore);
  res.set(http::field::content_disposition, "attachment; filename=\"tuidang-stats.csv\"");
  return res;
}

}  // namespace tuidang::web
