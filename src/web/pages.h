// The pages and API resources, each a plain function over parsed input (one file each).
// The handlers of a route (routes.h) take its RequestContext (request_context.h); the
// pieces the static export renders too take only what they use. Functions that store
// something answer through `respond`, possibly later from the sequencer's thread; the
// others return their response.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/app.h"
#include "web/form.h"
#include "web/page.h"
#include "web/request_context.h"

namespace tuidang::web {

// home.cc
Response HomePage(const PageContext& ctx, const AppEnv& env);
// The home page's HTML with `totals`, counting `today`'s persons apart.
std::string HomeHtml(const PageContext& ctx, const Totals& totals, Day today);

// submit.cc
Response SubmitFormPage(const PageContext& ctx, const AppEnv& env);
// Handles POST /submit with an urlencoded body; the client key feeds the abuse gate.
void SubmitPost(const RequestContext& rq, Responder respond);

// The declarant's correction of a held statement (the /submit form, prefilled, posting to
// /receipt/correct, the code in its body): the form for `held`; and the corrected statement read
// from a posted `body` into *corrected, or the form to show again with its errors.
Response CorrectFormPage(const PageContext& ctx, const AppEnv& env, const std::string& code,
                         const Statement& held);
std::optional<Response> ReadCorrection(const PageContext& ctx, const AppEnv& env,
                                       const std::string& code, std::string_view body,
                                       Statement* corrected);

// receipt.cc, receipt_actions.cc: every use of a receipt code is a POSTed form with the
// code in its body (receipt_form.h), never in the path; each passes the receipt limits
// (Admission::kReceiptCode) with the client key, and every answer is no-store and
// no-referrer.
// POST /receipt: the statement's status, with the forms of the actions below.
Response ReceiptPage(const RequestContext& rq);
// GET /receipt: the look-up form (it says why, after an address of before).
Response ReceiptLookup(const RequestContext& rq);
// /receipt/<anything> (the addresses of before, and a GET of an action): 303 to the look-up
// form; the code the address may carry is neither read nor repeated.
Response ReceiptOldLink(const RequestContext& rq);
// POST /receipt/proof: the proof as a download, under a name that says nothing.
Response ReceiptProof(const RequestContext& rq);
// POST /receipt/certificate: the certificate of the published statement.
Response ReceiptCertificate(const RequestContext& rq);
// POST /receipt/correct: with the code only, the correction form of a held statement;
// with save=1 and the statement, the correction, answered the same whether or not the code
// exists. Afterwards only withdrawal is offered.
void ReceiptCorrect(const RequestContext& rq, Responder respond);
// POST /receipt/withdraw: without confirm=1, the page that asks to confirm (nothing looked
// up); with it, the declarant withdraws their own statement at once, answered the same
// whether or not the code exists.
void ReceiptWithdraw(const RequestContext& rq, Responder respond);
// The answer to a web declaration (POST /submit): the receipt `code` (ASCII digits) shown
// this once, with the step to write it down, and the status it was stored with; a held
// statement's `hold_reason` (the abuse gate's, empty when every statement is reviewed)
// explained in plain words.
Response SubmitReply(const PageContext& ctx, std::string_view code, const ReceiptStatus& r,
                     int64_t batch_minutes, std::string_view hold_reason = {});
// Minutes between two publication batches, as a receipt tells them (at least 1).
int64_t BatchMinutes(const AppEnv& env);
// A receipt code as sent in a path (percent-escapes decoded, full-width digits and
// input-method separators accepted): the ASCII digits, or nullopt. The API's.
std::optional<std::string> ReadReceiptCode(std::string_view text);

// statements.cc
// GET /statements?date=&page=; GET /statements/<number> (the route's capture).
Response DayListPage(const RequestContext& rq);
Response StatementPage(const RequestContext& rq);
// The HTML of page `page` of `pages` of a day list holding `list` (newest first), and of a
// statement's page: what the two pages above serve, and what `tuidang export` writes.
// `certificate_links`: each entry links to its certificate (the static export).
std::string DayListHtml(const PageContext& ctx, Day day, const DayCount& count, uint64_t tree_size,
                        int64_t page, int64_t pages, const std::vector<Statement>& list,
                        bool certificate_links = false);
// A statement's page: the statement, links to its certificate and its day, and with its
// `opening` (nullopt: none, e.g. an import not yet in the log) the leaf, salt, record and
// commitment with how to check them; `site_url` (public_url) is where the printed check
// command fetches the statement.
std::string StatementHtml(const PageContext& ctx, const Statement& s,
                          const std::optional<Opening>& opening, std::string_view site_url);
// How many pages the day list of a day with `count` has (50 statements a page).
int64_t DayListPages(const DayCount& count);
// Statements on one page of a day list.
inline constexpr int kDayListPageSize = 50;

// stats_moderation.cc: moderation in the open (docs/moderation-stats.md).
// The public moderation counters: closed days only, up to `through`.
struct ModerationFigures {
  Day through = 0;                      // LastPublicModerationDay(today)
  std::vector<ModerationCount> counts;  // ascending by day, event, reason; days <= through
};
// The counters of days `first`..LastPublicModerationDay(today) from `store` (none when
// first is after it); the store's error when it fails.
Result<ModerationFigures> ReadModerationFigures(StatementReader* store, Day first, Day today);
// The /stats section "Moderation in the open": what held, rejected and withdrawn mean, the
// counts of days `first`..through by event and reason, and by day (first = 0: every day).
std::string ModerationHtml(const PageContext& ctx, const ModerationFigures& f, Day first);
// The CSV rows of the counters (docs/moderation-stats.md), appended to *out.
void AppendModerationCsv(const ModerationFigures& f, std::string* out);

// stats_page.cc: the statistics (docs/stats.md).
// GET /stats?range=30|365|all: totals, categories, daily and cumulative charts (SVG), and
// the moderation counters of the range's closed days.
Response StatsPage(const RequestContext& rq);
// The page's HTML for `range` ("30", "365" or "all"); nullopt for another range.
// `moderation` holds at least the range's closed days (more are left out).
std::optional<std::string> StatsHtml(const PageContext& ctx, const Totals& totals,
                                     std::string_view range, const ModerationFigures& moderation);
// GET /stats.csv: the same figures as CSV (docs/stats.md), with every closed day's
// moderation counters; 503 when the store cannot read them.
Response StatsCsv(const AppEnv& env);
std::string StatsCsvText(const Totals& totals, const ModerationFigures& moderation);
// "These figures count the first N entries of the public log", with a link to /log: on
// every page that shows counts.
std::string AsOfHtml(const PageContext& ctx, uint64_t tree_size);
enum class Category { kChannel, kRegion, kOccupation };
// The code of a stored category value as the API and the CSV name it ("web", "beijing",
// "not_given" for 0).
std::string CategoryCode(Category category, int value);

// log.cc: the transparency log under /log/.
Response LogCheckpoint(const AppEnv& env);
// `path` is what follows "/log/" ("tile/0/x001/234.p/7"); `gzip`: the client accepts it.
Response LogTile(const AppEnv& env, std::string_view path, bool gzip);
Response LogPage(const PageContext& ctx, const AppEnv& env);
// What the /log page says besides the checkpoint.
struct LogFacts {
  std::string origin;          // the log's origin line
  std::string verifier_key;    // the log's signed-note verifier key
  std::string site_url;        // http(s) address of the site (public_url): the audit reads it
  std::string software_url;    // where the center publishes tuidang; empty: not said
  std::string witness_policy;  // tlog-policy text; empty: no witnesses
  std::vector<LogMirror> mirrors;
};
// The /log page's HTML: what the log and a checkpoint are in plain words, the verifier key,
// the latest signed checkpoint when there is one (nullopt: none yet), the audit command as
// it runs (`tuidang audit <site_url> --vkey <key>`) and where to get the tool; with a witness
// policy, who cosigned that checkpoint and on which day, and the policy; with mirrors, the
// same for each of them and where its copy is read.
std::string LogHtml(const PageContext& ctx, const LogFacts& facts,
                    const std::optional<std::string>& checkpoint);
// The C2SP tlog-proof of a published receipt's leaf (its index and entry) against the
// checkpoint the site serves; an error when the leaf is not yet in a checkpoint.
Result<std::string> ProofText(const AppEnv& env, const ReceiptStatus& receipt);

// ops_router.cc: the operators' console, every route of Area::kConsole. The client key
// feeds the login's per-client throttle (ops_auth.h).
void OpsRoute(const RequestContext& rq, Responder respond);

// center_pages.cc: GET /about, /privacy, /safety, the center's own pages in Markdown
// (docs/center-pages.md): the data folder's pages/<name>.<language>.md, else the default.
Response CenterPage(const RequestContext& rq);
// `markdown` as HTML by cmark: raw HTML and script links dropped, images turned into links.
std::string MarkdownHtml(std::string_view markdown);

// search.cc: GET /search?name=
Response SearchPage(const RequestContext& rq);

// A page in the site's layout for errors ("not found", "bad request").
Response ErrorPage(const PageContext& ctx, http::status status, std::string_view message_key);

// api.cc: the request context's language is the caller's (Accept-Language), for error
// messages; a number or code is the route's capture.
void ApiPostStatement(const RequestContext& rq, Responder respond);
Response ApiGetStatement(const RequestContext& rq);
Response ApiListStatements(const RequestContext& rq);
Response ApiGetReceipt(const RequestContext& rq);
Response ApiStats(const RequestContext& rq);
// GET /api/v1/stats's body for `totals`, with `today`'s counts (docs/api.md) and the
// moderation counters of closed days (docs/moderation-stats.md).
std::string StatsJson(const Totals& totals, Day today, const ModerationFigures& moderation);
Response ApiError(const Catalog& catalog, Language lang, http::status status, std::string_view code,
                  std::string_view message_key);

// certificate.cc: GET /statements/<number>/certificate, a printable bilingual certificate.
Response CertificatePage(const RequestContext& rq);
// The certificate of published statement `s`: `leaf_index` from its opening, `checkpoint`
// the latest (size, signed text); the checkpoint is shown when it includes the leaf.
std::string CertificateHtml(const PageContext& ctx, const Statement& s, std::string_view log_origin,
                            std::optional<uint64_t> leaf_index,
                            const std::optional<std::pair<uint64_t, std::string>>& checkpoint);
// /static/certificate.css: the certificate's layout and A4 print rules.
std::string_view CertificateCss();
// The certificates of the statements `list` of page `page` of `day`'s list, in one page
// (what `tuidang export` writes instead of one page per certificate, docs/export.md): each
// an <article id="c-<number>"> that prints alone on A4 when its anchor is the target.
// `leaves[i]` is list[i]'s leaf index; `checkpoint` (size, signed text) includes them all.
// Links to /static/certificates.css (DayCertificatesCss).
std::string DayCertificatesHtml(const PageContext& ctx, Day day, int64_t page,
                                const std::vector<Statement>& list,
                                const std::vector<uint64_t>& leaves, std::string_view log_origin,
                                const std::pair<uint64_t, std::string>& checkpoint);
std::string_view DayCertificatesCss();

// Parses a positive decimal number without sign or leading zeros, at most 18 digits.
std::optional<int64_t> ParseNumber(std::string_view s);

}  // namespace tuidang::web
