// Search by name, after NFC normalisation and Simplified/Traditional folding.
#include "core/statement.h"
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {
// Results shown for one name: a common name has many; narrowing by day is the way on.
constexpr int kMaxResults = 100;
// Matches counted at most: past it the page says "more than 1,000" (the count reads the
// name index no further, so a common name costs what a rare one does).
constexpr int64_t kCountCap = 1000;
}  // namespace

Response SearchPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  const Form& query = rq.query;
  std::string_view raw = query.GetOr("name");
  std::string_view date = query.GetOr("date");
  std::string b = "<h1>" + ctx.TrHtml("search.title") + "</h1>";
  std::string error;
  std::string name;
  std::optional<Day> day;
  if (!IsValidUtf8(raw) || HasForbiddenCharacter(raw, TextKind::kSingleLine)) {
    error = ctx.Tr("error.name.invalid_characters");
  } else {
    name = Nfc(TrimSpace(raw));
    if (CountCodePoints(name) > kMaxNameChars) error = ctx.Tr("error.name.too_long");
  }
  if (!date.empty()) {
    day = ParseDay(date);
    if (!day) error = ctx.Tr("error.date");
  }
  b += "<form method=\"get\" action=\"" + ctx.LiveHref("/search") + "\"><label for=\"name\">" +
       ctx.TrHtml("search.name") +
       "</label><input type=\"text\" id=\"name\" name=\"name\" value=\"" +
       (error.empty() ? HtmlEscape(name) : std::string()) + "\"><label for=\"date\">" +
       ctx.TrHtml("search.date") +
       "</label><input type=\"text\" id=\"date\" name=\"date\" "
       "placeholder=\"YYYY-MM-DD\" value=\"" +
       (day ? FormatDay(*day) : std::string()) + "\"><button type=\"submit\">" +
       ctx.TrHtml("search.button") + "</button></form>";
  http::status status = http::status::ok;
  if (!error.empty()) {
    b += "<p class=\"error\" id=\"error-name\">" + HtmlEscape(error) + "</p>";
    status = http::status::bad_request;
  } else if (!name.empty()) {
    // The next page's cursor: the number of the last statement of the page before.
    int64_t before = 0;
    if (auto c = query.Get("before")) {
      auto parsed = ParseNumber(*c);
      if (!parsed) return ErrorPage(ctx, http::status::bad_request, "error.page");
      before = *parsed;
    }
    const std::string folded = FoldName(name);
    auto found = env.store->SearchName(folded, day, before, kMaxResults);
    auto count = env.store->CountName(folded, day, kCountCap);
    if (!found || !count) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    b += "<p id=\"result-count\">" +
         HtmlEscape(*count > kCountCap ? ctx.Format("search.count_more", FormatCount(kCountCap))
                                       : ctx.Format("search.count", *count)) +
         "</p>";
    if (!found->empty()) {
      b += "<ol class=\"statements\">";
      for (const Statement& s : *found) AppendStatementItem(ctx, s, &b);
      b += "</ol>";
      if (found->size() == static_cast<size_t>(kMaxResults)) {
        std::string next = "/search?name=" + UrlEncode(name) +
                           (day ? "&date=" + FormatDay(*day) : std::string()) +
                           "&before=" + std::to_string(*found->back().number);
        b += "<p class=\"pager\"><a rel=\"next\" href=\"" + ctx.LiveHref(next) + "\">" +
             ctx.TrHtml("list.next_page") + "</a></p>";
      }
    }
  }
  return HtmlResponse(status, Layout(ctx, ctx.Tr("search.title"), b), Caching::kNoStore);
}

}  // namespace tuidang::web
