#include "web/pages.h"

namespace tuidang::web {

Response HomePage(const PageContext& ctx, const AppEnv& env) {
  auto totals_snapshot = env.store->GetTotals();
  return HtmlResponse(http::status::ok, HomeHtml(ctx, *totals_snapshot, Today()),
                      Caching::kNoStore);
}

std::string HomeHtml(const PageContext& ctx, const Totals& totals, Day day) {
  DayCount today = totals.Of(day);
  std::string b;
  b += "<h1>" + ctx.TrHtml("home.title") + "</h1>";
  b += "<p>" + ctx.TrHtml("home.intro") + "</p>";
  b += "<p>" + ctx.TrHtml("home.total") + " <strong class=\"count\" id=\"total-persons\">" +
       FormatCount(totals.persons) + "</strong></p>";
  b += "<p>" + ctx.TrHtml("home.today") + " <strong id=\"today-persons\">" +
       FormatCount(today.persons) + "</strong> (" + FormatDay(day) + ")</p>";
  b += AsOfHtml(ctx, totals.tree_size);
  b += "<p><a class=\"primary\" href=\"" + ctx.Href("/submit") + "\">" +
       ctx.TrHtml("home.declare") + "</a></p>";
  b += "<h2>" + ctx.TrHtml("home.safety.title") + "</h2><ul>";
  for (const char* key : {"home.safety.pseudonym", "home.safety.circumvention", "home.safety.tor",
                          "home.safety.receipt"}) {
    b += "<li>" + ctx.TrHtml(key) + "</li>";
  }
  b += "</ul>";
  b += "<h2>" + ctx.TrHtml("home.check.title") + "</h2>";
  // POST: the code in the body, never in an address (receipt_form.h).
  b += "<form method=\"post\" action=\"" + ctx.LiveHref("/receipt") + "\"><label for=\"code\">" +
       ctx.TrHtml("receipt.code") +
       "</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
       "autocomplete=\"off\" maxlength=\"60\"><button type=\"submit\">" +
       ctx.TrHtml("home.check.button") + "</button></form>";
  return Layout(ctx, ctx.Tr("home.title"), b, ctx.Tr("meta.home"));
}

}  // namespace tuidang::web
