#include "web/pages.h"

namespace tuidang::web {

Response HomePage(const PageContext& ctx, const AppEnv& env) {
  auto totals_snapshot = env.store->GetTotals();
  const Totals& totals = *totals_snapshot;
  DayCount today = totals.Of(Today());
  std::string b;
  b += "<h1>" + ctx.TrHtml("home.title") + "</h1>";
  b += "<p>" + ctx.TrHtml("home.intro") + "</p>";
  b += "<p>" + ctx.TrHtml("home.total") + " <strong class=\"count\" id=\"total-persons\">" +
       FormatCount(totals.persons) + "</strong></p>";
  b += "<p>" + ctx.TrHtml("home.today") + " <strong id=\"today-persons\">" +
       FormatCount(today.persons) + "</strong> (" + FormatDay(Today()) + ")</p>";
  b += AsOfHtml(ctx, totals.tree_size);
  b += "<p><a class=\"primary\" href=\"" + ctx.Url("/submit") + "\">" +
       ctx.TrHtml("home.declare") + "</a></p>";
  b += "<h2>" + ctx.TrHtml("home.safety.title") + "</h2><ul>";
  for (const char* key : {"home.safety.pseudonym", "home.safety.circumvention",
                          "home.safety.tor", "home.safety.receipt"}) {
    b += "<li>" + ctx.TrHtml(key) + "</li>";
  }
  b += "</ul>";
  b += "<h2>" + ctx.TrHtml("home.check.title") + "</h2>";
  b += "<form method=\"get\" action=\"" + ctx.Url("/receipt") +
       "\"><label for=\"code\">" + ctx.TrHtml("receipt.code") +
       "</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
       "autocomplete=\"off\" maxlength=\"24\"><button type=\"submit\">" +
       ctx.TrHtml("home.check.button") + "</button></form>";
  return HtmlResponse(http::status::ok, Layout(ctx, ctx.Tr("home.title"), b), Caching::kNoStore);
}

}  // namespace tuidang::web
