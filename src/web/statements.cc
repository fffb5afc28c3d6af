// Published statements: the day lists and the page of one statement.
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {
// Statements on one page of a day list: a phone on a slow proxy loads it in seconds.
constexpr int kPageSize = 50;
}  // namespace

Response DayListPage(const PageContext& ctx, const AppEnv& env, const Form& query) {
  Day day = Today();
  if (auto d = query.Get("date")) {
    auto parsed = ParseDay(*d);
    if (!parsed) return ErrorPage(ctx, http::status::bad_request, "error.date");
    day = *parsed;
  }
  int64_t page = 1;
  if (auto p = query.Get("page")) {
    auto parsed = ParseNumber(*p);
    if (!parsed || *parsed > 1000000) return ErrorPage(ctx, http::status::bad_request, "error.page");
    page = *parsed;
  }
  auto totals_snapshot = env.store->GetTotals();
  const Totals& totals = *totals_snapshot;
  DayCount count = totals.Of(day);
  // A day page changes only when its day gains statements; today's first page is
  // re-rendered at most once a second under a stream of submissions.
  std::string cache_key = fmt::format("day|{}|{}|{}", LanguageCode(ctx.lang), day, page);
  if (auto cached = env.cache->Get(cache_key, count.statements, std::chrono::seconds(1))) {
    return HtmlResponse(http::status::ok, *cached, Caching::kShort);
  }
  int64_t pages = std::max<int64_t>(1, (count.statements + kPageSize - 1) / kPageSize);
  auto list = env.store->ListDay(day, 0, (page - 1) * kPageSize, kPageSize);
  if (!list) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");

  std::string date = FormatDay(day);
  std::string b = "<h1>" + HtmlEscape(ctx.Format("list.title", date)) + "</h1>";
  b += "<p>" + HtmlEscape(ctx.Format("list.summary", FormatCount(count.statements),
                                     FormatCount(count.persons))) + "</p>";
  b += "<p class=\"pager\"><a rel=\"prev\" href=\"" +
       ctx.Url("/statements?date=" + FormatDay(day - 1)) + "\">" + ctx.TrHtml("list.prev_day") +
       "</a>";
  if (day < Today()) {
    b += "<a rel=\"next\" href=\"" + ctx.Url("/statements?date=" + FormatDay(day + 1)) + "\">" +
         ctx.TrHtml("list.next_day") + "</a>";
  }
  b += "</p>";
  if (list->empty()) {
    b += "<p>" + ctx.TrHtml("list.empty") + "</p>";
  } else {
    b += "<ol class=\"statements\">";
    for (const Statement& s : *list) AppendStatementItem(ctx, s, &b);
    b += "</ol>";
  }
  if (pages > 1) {
    b += "<p class=\"pager\">" + HtmlEscape(ctx.Format("list.page", page, pages)) + " ";
    if (page > 1) {
      b += "<a href=\"" + ctx.Url("/statements?date=" + date + "&amp;page=" + std::to_string(page - 1)) +
           "\">" + ctx.TrHtml("list.prev_page") + "</a>";
    }
    if (page < pages) {
      b += "<a href=\"" + ctx.Url("/statements?date=" + date + "&amp;page=" + std::to_string(page + 1)) +
           "\">" + ctx.TrHtml("list.next_page") + "</a>";
    }
    b += "</p>";
  }
  auto html = std::make_shared<const std::string>(Layout(ctx, ctx.Format("list.title", date), b));
  env.cache->Put(cache_key, count.statements, html);
  return HtmlResponse(http::status::ok, *html, Caching::kShort);
}

Response StatementPage(const PageContext& ctx, const AppEnv& env, std::string_view number_text) {
  auto number = ParseNumber(number_text);
  if (!number) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  auto found = env.store->GetPublished(*number);
  if (!found) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (!found->has_value()) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  const Statement& s = **found;
  std::string title = ctx.Format("statement.number", *number);
  std::string b = "<h1>";
  AppendHtmlEscaped(&b, s.persons[0].name);
  b += "</h1><p>" + HtmlEscape(title) + " · " + FormatDay(s.day) + " · " +
       HtmlEscape(ctx.Format("statement.persons", s.persons.size())) + "</p>";
  b += "<ol class=\"statements\">";
  AppendStatementItem(ctx, s, &b);
  b += "</ol>";
  return HtmlResponse(http::status::ok, Layout(ctx, title, b), Caching::kShort);
}

}  // namespace tuidang::web
