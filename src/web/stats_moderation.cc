// Moderation in the open (issue 15, docs/moderation-stats.md): the held, rejected and
// withdrawn counters of closed days on /stats, in /stats.csv and in /api/v1/stats. The
// counters are the store's (core/moderation.h), raised in each act's own transaction; this
// file only reads a range of them and shows it.
#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

// Rows of the page's day table at most, as for the charts: beyond it days are grouped into
// equal spans, so that "everything" over ten years stays a small page.
constexpr int kMaxModerationRows = 400;

// The catalog key of each reason the stores count under (core/moderation.h, the abuse
// gate's hold reasons, core/leaf.h's withdrawal reasons), written out so that the catalog
// check finds every key. A reason not listed here (a new hold reason) shows as its code.
constexpr std::pair<std::string_view, std::string_view> kReasonKeys[] = {
    {"review", "moderation.reason.review"},
    {"no_pow", "moderation.reason.no_pow"},
    {"generated_name", "moderation.reason.generated_name"},
    {"duplicate_text", "moderation.reason.duplicate_text"},
    {"repeated_name", "moderation.reason.repeated_name"},
    {"burst", "moderation.reason.burst"},
    {"email", "moderation.reason.email"},
    {"declarant-request", "moderation.reason.declarant-request"},
    {"danger", "moderation.reason.danger"},
    {"fake", "moderation.reason.fake"},
    {"duplicate", "moderation.reason.duplicate"},
    {"before-publication", "moderation.reason.before-publication"},
};

constexpr ModerationEvent kEvents[] = {ModerationEvent::kHeld, ModerationEvent::kRejected,
                                       ModerationEvent::kWithdrawn};

std::string ReasonLabel(const PageContext& ctx, std::string_view reason) {
  for (const auto& [code, key] : kReasonKeys) {
    if (code == reason) return ctx.Tr(key);
  }
  return std::string(reason);
}

std::string_view EventKey(ModerationEvent e) {
  switch (e) {
    case ModerationEvent::kHeld: return "moderation.held";
    case ModerationEvent::kRejected: return "moderation.rejected";
    case ModerationEvent::kWithdrawn: return "moderation.withdrawn";
  }
  return "moderation.held";
}

// Counts by event, then reason, of one span of days.
using ReasonCounts = std::map<std::string, int64_t>;
struct ModerationSpan {
  Day first = 0, last = 0;
  std::map<ModerationEvent, ReasonCounts> by_event;
};

void AppendReasonList(const PageContext& ctx, const ReasonCounts& reasons, std::string* out) {
  int64_t sum = 0;
  for (const auto& [reason, n] : reasons) sum += n;
  *out += "<td>" + FormatCount(sum);
  if (!reasons.empty()) {
    *out += "<ul class=\"reasons\">";
    for (const auto& [reason, n] : reasons) {
      *out += "<li>" + HtmlEscape(ReasonLabel(ctx, reason)) + ": " + FormatCount(n) + "</li>";
    }
    *out += "</ul>";
  }
  *out += "</td>";
}

}  // namespace

Result<ModerationFigures> ReadModerationFigures(StatementReader* store, Day first, Day today) {
  ModerationFigures f;
  f.through = LastPublicModerationDay(today);
  if (first > f.through) return f;
  auto counts = store->ModerationCounts(first, f.through);
  if (!counts) return Error{counts.error()};
  f.counts = std::move(*counts);
  return f;
}

std::string ModerationHtml(const PageContext& ctx, const ModerationFigures& f, Day first) {
  std::string b = "<h2 id=\"moderation\">" + ctx.TrHtml("moderation.title") + "</h2>";
  b += "<p>" + ctx.TrHtml("moderation.intro") + "</p><ul class=\"terms\"><li>" +
       ctx.TrHtml("moderation.held.means") + "</li><li>" + ctx.TrHtml("moderation.rejected.means") +
       "</li><li>" + ctx.TrHtml("moderation.withdrawn.means") + "</li></ul><p>" +
       HtmlEscape(ctx.Format("moderation.through", FormatDay(f.through))) + "</p>";

  // The range's counts: by event and reason over the whole range, and by span of days.
  std::vector<const ModerationCount*> rows;
  for (const ModerationCount& c : f.counts) {
    if (c.day >= first && c.day <= f.through && c.statements > 0) rows.push_back(&c);
  }
  if (rows.empty()) {
    b += "<p id=\"moderation-none\">" + ctx.TrHtml("moderation.none") + "</p>";
    return b;
  }
  // A bounded range starts where the range does; everything, at the first day counted.
  const Day start = first > 0 ? first : rows.front()->day;
  int64_t days = static_cast<int64_t>(f.through) - start + 1;
  int64_t group = std::max<int64_t>(1, (days + kMaxModerationRows - 1) / kMaxModerationRows);

  std::map<ModerationEvent, ReasonCounts> total;
  std::map<int64_t, ModerationSpan> spans;  // by span index from `start`
  for (const ModerationCount* c : rows) {
    total[c->event][c->reason] += c->statements;
    int64_t index = (static_cast<int64_t>(c->day) - start) / group;
    ModerationSpan& s = spans[index];
    s.first = static_cast<Day>(start + index * group);
    s.last = static_cast<Day>(std::min<int64_t>(f.through, s.first + group - 1));
    s.by_event[c->event][c->reason] += c->statements;
  }

  b +=
      "<table class=\"figures\" id=\"moderation-reasons\"><caption>" +
      HtmlEscape(ctx.Format("moderation.reasons_caption", FormatDay(start), FormatDay(f.through))) +
      "</caption><thead><tr><th scope=\"col\">" + ctx.TrHtml("moderation.col.what") +
      "</th><th scope=\"col\">" + ctx.TrHtml("stats.col.statements") + "</th></tr></thead><tbody>";
  for (ModerationEvent e : kEvents) {
    auto it = total.find(e);
    if (it == total.end()) continue;
    for (const auto& [reason, n] : it->second) {
      b += "<tr data-event=\"" + std::string(ModerationEventCode(e)) + "\" data-reason=\"" +
           HtmlEscape(reason) + "\"><th scope=\"row\">" + ctx.TrHtml(EventKey(e)) + ": " +
           HtmlEscape(ReasonLabel(ctx, reason)) + "</th><td>" + FormatCount(n) + "</td></tr>";
    }
  }
  b += "</tbody></table>";

  // Focusable, so that a keyboard can scroll it sideways on a phone (axe:
  // scrollable-region-focusable), as the day table above.
  b += "<div class=\"scroll\" tabindex=\"0\"><table class=\"figures\" id=\"moderation-days\">"
       "<caption>" +
       ctx.TrHtml("moderation.days_caption") + "</caption><thead><tr><th scope=\"col\">" +
       ctx.TrHtml("stats.col.date") + "</th>";
  for (ModerationEvent e : kEvents) b += "<th scope=\"col\">" + ctx.TrHtml(EventKey(e)) + "</th>";
  b += "</tr></thead><tbody>";
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    const ModerationSpan& s = it->second;
    std::string label = FormatDay(s.first);
    if (s.last != s.first) label += " – " + FormatDay(s.last);
    b += "<tr><th scope=\"row\">" + label + "</th>";
    for (ModerationEvent e : kEvents) {
      auto found = s.by_event.find(e);
      AppendReasonList(ctx, found == s.by_event.end() ? ReasonCounts{} : found->second, &b);
    }
    b += "</tr>";
  }
  b += "</tbody></table></div>";
  return b;
}

void AppendModerationCsv(const ModerationFigures& f, std::string* out) {
  *out += fmt::format("moderation_through,{},,\r\n", FormatDay(f.through));
  for (const ModerationCount& c : f.counts) {
    if (c.day > f.through || c.statements <= 0) continue;
    std::string key = FormatDay(c.day) + "/" + c.reason;
    if (key.find_first_of(",\"\r\n") != std::string::npos) {
      // Reasons are codes of our own ("no_pow"), but a field is quoted whatever it holds.
      std::string quoted = "\"";
      for (char ch : key) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      key = quoted + "\"";
    }
    *out += fmt::format("{},{},,{}\r\n", ModerationEventCode(c.event), key, c.statements);
  }
}

}  // namespace tuidang::web
