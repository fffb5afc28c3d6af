// The one route table of the site, the API, the log and the console: each path pattern with
// its methods and its admission policy (which limits of the abuse gate apply, which bodies
// it takes, how large). The abuse gate (guard_web.h), the body limit of the transport and
// the router (app.cc, ops_router.cc) all read it, so a path cannot be limited under one
// spelling and served under another. Pure: no I/O, no state; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "web/http.h"
#include "web/i18n.h"

namespace tuidang::web {

// What a route serves. The router maps each to its handler (one switch, app.cc).
enum class RouteId {
  kHealth,
  kPowScript,  // /static/pow.js, answered by the abuse gate
  kLogCheckpoint,
  kLogTile,    // tiles and entry bundles under /log/
  kChallenge,  // the proof-of-work challenge, answered by the abuse gate
  kApiStatements,
  kApiStatement,
  kApiReceipt,
  kApiStats,
  kApiUnknown,  // any other path under /api/
  kStatic,      // /static/<file>: style sheets, scripts, the icon (static_files.h)
  kFavicon,     // /favicon.ico, where browsers look for an icon
  kConsoleHome,
  kConsoleSetup,
  kConsoleLogin,
  kConsoleLogout,
  kConsoleEnter,
  kConsoleQueue,
  kConsoleWithdraw,
  kConsoleImport,
  kConsoleUnlock,
  kConsolePrivate,
  kConsolePrivateFile,
  kConsoleAudit,
  kConsoleUnknown,  // any other path under /ops/: answered after the session check
  kHome,
  kSubmit,
  kReceipt,        // POST /receipt: the status of the posted code
  kReceiptLookup,  // GET /receipt: the look-up form
  kReceiptProof,
  kReceiptCertificate,
  kReceiptCorrect,
  kReceiptWithdraw,
  kReceiptOldLink,  // /receipt/<anything>: the code-in-the-path addresses of before
  kLogPage,
  kDayList,
  kCertificate,
  kStatement,
  kSearch,
  kStats,
  kStatsCsv,
  kAbout,  // the center's own pages (center_pages.cc)
  kPrivacy,
  kSafety,
  kPageUnknown,  // any other path: 404 for GET, 405 otherwise, as a page
};

// Where a route belongs: decides the language of its answers and the form of its errors.
enum class Area {
  kPlain,    // plain text, no language (/healthz, style sheets, the script)
  kLog,      // the transparency log: plain text errors, never under a language prefix
  kApi,      // JSON errors in the Accept-Language language
  kConsole,  // pages in the prefix's language, else the operator's browser language
  kPage,     // pages in the prefix's language
};

// Methods a route serves (bit set). GET includes HEAD.
enum Method : uint8_t { kGet = 1, kPost = 2, kAnyMethod = 0xff };

// Which limit of the abuse gate applies to the route's POSTs.
enum class Admission {
  kNone,
  kSubmit,          // a statement: Guard::AdmitSubmit before routing (GateRequest)
  kOperatorAction,  // Guard::AdmitOperator once the console session is known
  kReceiptCode,     // the form field "code" of the POST is a receipt code (the API: the
                    // capture): the receipt limits (AdmitReceiptUse), applied by the page
                    // once it knows whether the code exists
};

// What a POST may carry.
enum class Body {
  kAny,     // not checked here (the API checks its JSON itself)
  kForm,    // application/x-www-form-urlencoded (UTF-8), else 415
  kUpload,  // urlencoded or multipart; up to kMaxUploadBytes for a logged-in operator
};

struct Route {
  RouteId id;
  // A literal path (without language prefix and query), or one with a single capture
  // "{name}" standing for any text, '/' included, empty too ("/receipt/{code}/proof").
  std::string_view pattern;
  uint8_t methods;
  Area area;
  Admission admission = Admission::kNone;
  Body body = Body::kAny;
  // Answered before the query is parsed (a malformed query cannot make them fail).
  bool before_query = false;
  // When the method does not fit, the next routes are tried instead of answering 405.
  bool falls_through = false;
  // Served only without a language prefix (/log/...: /en/log/... is an unknown page).
  bool no_prefix = false;
};

// A request target split as the router sees it. `path` keeps its percent-escapes: a
// capture is handed to its page undecoded (ReadReceiptCode decodes a receipt code).
struct Target {
  Language lang = Language::kSimplified;
  bool explicit_lang = false;  // the path began with /zh-hans, /zh-hant or /en
  std::string path;            // without language prefix; "/" when nothing is left
  std::string query;           // after '?', undecoded
};
Target SplitTarget(std::string_view target);

struct RouteMatch {
  // The route that serves the request, or the one whose method did not fit (then
  // method_allowed is false and the answer is 405 with Allow: AllowHeader(route->methods)).
  // Never null: every path falls into an area's catch-all route.
  const Route* route = nullptr;
  bool method_allowed = true;
  std::string_view capture;  // what the pattern's {name} stood for, into the matched path
};

// Finds the route of `path` (as in Target::path) for `method`: the first route whose pattern
// fits and that serves the method; a route whose pattern fits but not the method answers
// 405, unless it falls through. `path` must outlive the result (the capture points into it).
RouteMatch MatchRoute(std::string_view path, http::verb method, bool explicit_lang);

// Whether `pattern` fits `path`; sets *capture. As the substr-based router did, when the
// text around the capture overlaps in `path` ("/receipt/withdraw" for
// "/receipt/{code}/withdraw") the capture is everything after the text before it.
bool MatchPattern(std::string_view pattern, std::string_view path, std::string_view* capture);

bool ServesMethod(const Route& route, http::verb method);
// "GET, HEAD", "GET, HEAD, POST": the Allow header of a 405.
std::string AllowHeader(uint8_t methods);

// The whole table, in matching order (for tests and docs).
std::span<const Route> AllRoutes();
// The table's route of `id`.
const Route& RouteOf(RouteId id);

}  // namespace tuidang::web
