// Published statements: the day lists and the page of one statement.
#include "core/leaf.h"
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {
// Statements on one page of a day list: a phone on a slow proxy loads it in seconds.
constexpr int kPageSize = kDayListPageSize;
}  // namespace

Response DayListPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  const Form& query = rq.query;
  Day day = Today();
  if (auto d = query.Get("date")) {
    auto parsed = ParseDay(*d);
    if (!parsed) return ErrorPage(ctx, http::status::bad_request, "error.date");
    day = *parsed;
  }
  int64_t page = 1;
  if (auto p = query.Get("page")) {
    auto parsed = ParseNumber(*p);
    if (!parsed || *parsed > 1000000)
      return ErrorPage(ctx, http::status::bad_request, "error.page");
    page = *parsed;
  }
  auto totals_snapshot = env.store->GetTotals();
  const Totals& totals = *totals_snapshot;
  DayCount count = totals.Of(day);
  // A day page changes only when its day gains statements; today's first page is
  // re-rendered at most once a second under a stream of submissions.
  std::string cache_key = fmt::format("day|{}|{}|{}", LanguageCode(ctx.lang), day, page);
  bool gzip = AcceptsGzip(rq.http[http::field::accept_encoding]);
  if (auto cached = env.cache->Get(cache_key, count.statements, std::chrono::seconds(1))) {
    return CachedHtmlResponse(*cached, gzip, Caching::kShort);
  }
  int64_t pages = DayListPages(count);
  auto list = env.store->ListDay(day, 0, (page - 1) * kPageSize, kPageSize);
  if (!list) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  auto html = std::make_shared<const CachedBody>(
      HtmlPrecompressed(DayListHtml(ctx, day, count, totals.tree_size, page, pages, *list)));
  env.cache->Put(cache_key, count.statements, html);
  return CachedHtmlResponse(*html, gzip, Caching::kShort);
}

int64_t DayListPages(const DayCount& count) {
  return std::max<int64_t>(1, (count.statements + kPageSize - 1) / kPageSize);
}

std::string DayListHtml(const PageContext& ctx, Day day, const DayCount& count, uint64_t tree_size,
                        int64_t page, int64_t pages, const std::vector<Statement>& list_in,
                        bool certificate_links) {
  const std::vector<Statement>* list = &list_in;
  std::string date = FormatDay(day);
  std::string b = "<h1>" + HtmlEscape(ctx.Format("list.title", date)) + "</h1>";
  b += "<p>" +
       HtmlEscape(
           ctx.Format("list.summary", FormatCount(count.statements), FormatCount(count.persons))) +
       "</p>";
  b += AsOfHtml(ctx, tree_size);
  b += "<p class=\"pager\"><a rel=\"prev\" href=\"" +
       ctx.Href("/statements?date=" + FormatDay(day - 1)) + "\">" + ctx.TrHtml("list.prev_day") +
       "</a>";
  if (day < Today()) {
    b += "<a rel=\"next\" href=\"" + ctx.Href("/statements?date=" + FormatDay(day + 1)) + "\">" +
         ctx.TrHtml("list.next_day") + "</a>";
  }
  b += "</p>";
  if (list->empty()) {
    b += "<p>" + ctx.TrHtml("list.empty") + "</p>";
  } else {
    b += "<ol class=\"statements\">";
    for (const Statement& s : *list) AppendStatementItem(ctx, s, &b, certificate_links);
    b += "</ol>";
  }
  if (pages > 1) {
    b += "<p class=\"pager\">" + HtmlEscape(ctx.Format("list.page", page, pages)) + " ";
    if (page > 1) {
      b += "<a href=\"" +
           ctx.Href("/statements?date=" + date + "&page=" + std::to_string(page - 1)) + "\">" +
           ctx.TrHtml("list.prev_page") + "</a>";
    }
    if (page < pages) {
      b += "<a href=\"" +
           ctx.Href("/statements?date=" + date + "&page=" + std::to_string(page + 1)) + "\">" +
           ctx.TrHtml("list.next_page") + "</a>";
    }
    b += "</p>";
  }
  return Layout(
      ctx, ctx.Format("list.title", date), b,
      ctx.Format("meta.list", date, FormatCount(count.statements), FormatCount(count.persons)));
}

Response StatementPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view number_text = rq.capture;
  auto number = ParseNumber(number_text);
  if (!number) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  auto found = env.store->GetPublished(*number);
  if (!found) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (!found->has_value()) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  auto opening = env.store->GetOpening(*number);
  if (!opening) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  return HtmlResponse(http::status::ok,
                      StatementHtml(ctx, **found, *opening, env.options.public_url),
                      Caching::kShort);
}

namespace {

// The opening of a statement and how anyone checks it (docs/log-format.md): the commitment
// in its leaf is SHA-256("tuidang statement v1\n" || salt || record). The page shows the
// commitment it computed too, so a reader sees what their own computation must give; the
// log's copy of it is what `tuidang audit` and `tuidang verify-proof` check.
std::string OpeningHtml(const PageContext& ctx, const Statement& s, const Opening& o,
                        std::string_view site_url) {
  const Commitment commitment = Commit(o.salt, o.record);
  const std::string number = std::to_string(*s.number);
  while (site_url.size() > 1 && site_url.back() == '/') site_url.remove_suffix(1);
  std::string b = "<h2 id=\"opening\">" + ctx.TrHtml("statement.opening") + "</h2><p>" +
                  HtmlEscape(ctx.Format("statement.opening_intro", o.leaf_index)) + "</p>";
  b += "<dl class=\"opening\"><dt>" + ctx.TrHtml("statement.leaf") + "</dt><dd id=\"leaf\">" +
       std::to_string(o.leaf_index) + "</dd><dt>" + ctx.TrHtml("statement.salt") +
       "</dt><dd><code id=\"salt\">" + HexEncode(o.salt) + "</code></dd><dt>" +
       ctx.TrHtml("statement.record") + "</dt><dd><pre id=\"record\">" + HtmlEscape(o.record) +
       "</pre></dd><dt>" + ctx.TrHtml("statement.commitment") +
       "</dt><dd><code id=\"commitment\">" +
       HexEncode(
           std::string_view(reinterpret_cast<const char*>(commitment.data()), commitment.size())) +
       "</code></dd></dl>";
  // A command of standard tools (curl, Python 3): the record's exact bytes come from the
  // API, where no HTML escaping or copying from a page can change them.
  b += "<h3>" + ctx.TrHtml("statement.check") + "</h3><ol><li>" +
       ctx.TrHtml("statement.check_commitment") + "<pre id=\"check-command\">curl -s " +
       HtmlEscape(site_url) + "/api/v1/statements/" + number +
       " | python3 -c 'import sys, json, hashlib; s = json.load(sys.stdin); "
       "print(hashlib.sha256(b\"tuidang statement v1\\n\" + bytes.fromhex(s[\"salt\"]) + "
       "s[\"record\"].encode()).hexdigest())'</pre></li><li>" +
       HtmlEscape(ctx.Format("statement.check_leaf", o.leaf_index)) + " <a href=\"" +
       ctx.Href("/log") + "#verify\">" + ctx.TrHtml("statement.log_link") + "</a></li></ol>";
  return b;
}

}  // namespace

std::string StatementHtml(const PageContext& ctx, const Statement& s,
                          const std::optional<Opening>& opening, std::string_view site_url) {
  std::string title = ctx.Format("statement.number", *s.number);
  const std::string number = std::to_string(*s.number);
  std::string b = "<h1>";
  AppendHtmlEscaped(&b, s.persons[0].name);
  b += "</h1><p>" + HtmlEscape(title) + " · " + FormatDay(s.day) + " · " +
       HtmlEscape(ctx.Format("statement.persons", s.persons.size())) + "</p>";
  b += "<ol class=\"statements\">";
  AppendStatementItem(ctx, s, &b);
  b += "</ol>";
  b += "<p class=\"pager\"><a id=\"certificate-link\" href=\"" +
       ctx.Href("/statements/" + number + "/certificate") + "\">" + ctx.TrHtml("certificate.link") +
       "</a><a id=\"day-link\" href=\"" + ctx.Href("/statements?date=" + FormatDay(s.day)) + "#s-" +
       number + "\">" + HtmlEscape(ctx.Format("statement.day_link", FormatDay(s.day))) + "</a></p>";
  if (opening) b += OpeningHtml(ctx, s, *opening, site_url);
  return Layout(ctx, title, b, ctx.Format("meta.statement", *s.number, FormatDay(s.day)));
}

}  // namespace tuidang::web
