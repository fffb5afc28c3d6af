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
  std::string_view error_field;  // "name" or "date": the field the error belongs to
  std::string name;
  std::optional<Day> day;
  if (!IsValidUtf8(raw) || HasForbiddenCharacter(raw, TextKind::kSingleLine)) {
    error = ctx.Tr("error.name.invalid_characters"), error_field = "name";
  } else {
    name = Nfc(TrimSpace(raw));
    if (CountCodePoints(name) > kMaxNameChars) {
      error = ctx.Tr("error.name.too_long"), error_field = "name";
    }
  }
  if (!date.empty()) {
    day = ParseDay(date);
    if (!day) error = ctx.Tr("error.date"), error_field = "date";
  }
  // An error is shown above its field and tied to it, for screen readers too.
  auto field_error = [&](std::string_view field) {
    if (error_field != field) return std::string();
    return "<p class=\"error\" id=\"error-" + std::string(field) + "\">" + HtmlEscape(error) +
           "</p>";
  };
  auto invalid = [&](std::string_view field) {
    if (error_field != field) return std::string();
    return " aria-invalid=\"true\" aria-describedby=\"error-" + std::string(field) + "\"";
  };
  b += "<form method=\"get\" action=\"" + ctx.LiveHref("/search") + "\"><label for=\"name\">" +
       ctx.TrHtml("search.name") + "</label>" + field_error("name") +
       "<input type=\"text\" id=\"name\" name=\"name\" maxlength=\"" +
       std::to_string(kMaxNameChars) + "\"" + invalid("name") + " value=\"" +
       (error.empty() ? HtmlEscape(name) : std::string()) + "\"><label for=\"date\">" +
       ctx.TrHtml("search.date") + "</label>" + field_error("date") +
       "<input type=\"text\" id=\"date\" name=\"date\" inputmode=\"numeric\" "
       "placeholder=\"YYYY-MM-DD\"" +
       invalid("date") + " value=\"" + (day ? FormatDay(*day) : std::string()) +
       "\"><button type=\"submit\">" + ctx.TrHtml("search.button") + "</button></form>";
  http::status status = http::status::ok;
  if (!error.empty()) {
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
    auto found = env.store->SearchName(folded, day, before, kMaxResults + 1);
    auto count = env.store->CountName(folded, day, kCountCap);
    if (!found || !count) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    b += "<p id=\"result-count\">" +
         HtmlEscape(*count > kCountCap ? ctx.Format("search.count_more", FormatCount(kCountCap))
                                       : ctx.Format("search.count", *count)) +
         "</p>";
    const bool more = found && found->size() > static_cast<size_t>(kMaxResults);
    if (more) found->pop_back();
    if (!found->empty()) {
      b += "<ol class=\"statements\">";
      for (const Statement& s : *found) AppendStatementItem(ctx, s, &b);
      b += "</ol>";
      if (more) {
        std::string next = "/search?name=" + UrlEncode(name) +
                           (day ? "&date=" + FormatDay(*day) : std::string()) +
                           "&before=" + std::to_string(*found->back().number);
        b += "<p class=\"pager\"><a rel=\"next\" href=\"" + ctx.LiveHref(next) + "\">" +
             ctx.TrHtml("list.next_page") + "</a></p>";
      }
    } else {
      // Names are matched whole (after folding): a surname or a part finds nothing.
      b += "<p class=\"hint\" id=\"search-hint\">" + ctx.TrHtml("search.whole_name_hint") +
           " <a href=\"" + ctx.Href("/statements") + "\">" + ctx.TrHtml("search.browse_days") +
           "</a></p>";
    }
  }
  return HtmlResponse(status, Layout(ctx, ctx.Tr("search.title"), b, ctx.Tr("meta.search")),
                      Caching::kNoStore);
}

}  // namespace tuidang::web
