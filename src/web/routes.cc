#include "web/routes.h"

#include <array>

namespace tuidang::web {

namespace {

constexpr uint8_t kGetPost = kGet | kPost;

// In matching order. The order is behaviour: the POST-only withdrawal falls through to the
// receipt page (GET /receipt/<code>/withdraw reads the code "<code>/withdraw"), the
// captures are greedy, and each area ends in its catch-all.
constexpr Route kRoutes[] = {
    // Answered by the abuse gate before anything else (GateRequest).
    {RouteId::kPowScript, "/static/pow.js", kGet, Area::kPlain, Admission::kNone, Body::kAny,
     true, true},
    {RouteId::kChallenge, "/api/v1/challenge", kGet, Area::kApi, Admission::kNone, Body::kAny,
     true, true},
    {RouteId::kHealth, "/healthz", kAnyMethod, Area::kPlain, Admission::kNone, Body::kAny, true},
    {RouteId::kLogCheckpoint, "/log/checkpoint", kGet, Area::kLog, Admission::kNone, Body::kAny,
     true, false, true},
    {RouteId::kLogTile, "/log/{tile}", kGet, Area::kLog, Admission::kNone, Body::kAny, true,
     false, true},

    {RouteId::kApiStatements, "/api/v1/statements", kGetPost, Area::kApi, Admission::kSubmit},
    {RouteId::kApiStatement, "/api/v1/statements/{number}", kGet, Area::kApi},
    {RouteId::kApiReceipt, "/api/v1/receipts/{code}", kGet, Area::kApi, Admission::kReceiptCode},
    {RouteId::kApiStats, "/api/v1/stats", kGet, Area::kApi},
    {RouteId::kApiUnknown, "/api/{path}", kAnyMethod, Area::kApi},

    {RouteId::kSiteCss, "/static/site.css", kGet, Area::kPlain, Admission::kNone, Body::kAny,
     true},

    {RouteId::kConsoleHome, "/ops", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kForm},
    {RouteId::kConsoleSetup, "/ops/setup", kGetPost, Area::kConsole, Admission::kNone,
     Body::kForm},
    {RouteId::kConsoleLogin, "/ops/login", kGetPost, Area::kConsole, Admission::kNone,
     Body::kForm},
    {RouteId::kConsoleLogout, "/ops/logout", kGetPost, Area::kConsole, Admission::kNone,
     Body::kForm},
    {RouteId::kConsoleEnter, "/ops/enter", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kUpload},
    {RouteId::kConsoleQueue, "/ops/queue", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kForm},
    {RouteId::kConsoleWithdraw, "/ops/withdraw", kGetPost, Area::kConsole,
     Admission::kOperatorAction, Body::kForm},
    {RouteId::kConsoleImport, "/ops/import", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kUpload},
    {RouteId::kConsoleUnlock, "/ops/unlock", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kForm},
    {RouteId::kConsolePrivate, "/ops/private", kGetPost, Area::kConsole,
     Admission::kOperatorAction, Body::kForm},
    {RouteId::kConsolePrivateFile, "/ops/private/file", kGetPost, Area::kConsole,
     Admission::kOperatorAction, Body::kForm},
    {RouteId::kConsoleAudit, "/ops/audit", kGetPost, Area::kConsole, Admission::kOperatorAction,
     Body::kForm},
    {RouteId::kConsoleUnknown, "/ops/{page}", kGetPost, Area::kConsole,
     Admission::kOperatorAction, Body::kForm},

    {RouteId::kHome, "/", kGet, Area::kPage},
    {RouteId::kSubmit, "/submit", kGetPost, Area::kPage, Admission::kSubmit, Body::kForm},
    {RouteId::kReceiptCorrect, "/receipt/{code}/correct", kGetPost, Area::kPage,
     Admission::kReceiptCode, Body::kForm},
    {RouteId::kReceiptWithdraw, "/receipt/{code}/withdraw", kPost, Area::kPage,
     Admission::kReceiptCode, Body::kForm, false, true},
    {RouteId::kReceiptLookup, "/receipt", kGet, Area::kPage},
    {RouteId::kReceiptProof, "/receipt/{code}/proof", kGet, Area::kPage, Admission::kReceiptCode},
    {RouteId::kReceipt, "/receipt/{code}", kGet, Area::kPage, Admission::kReceiptCode},
    {RouteId::kLogPage, "/log", kGet, Area::kPage},
    {RouteId::kDayList, "/statements", kGet, Area::kPage},
    {RouteId::kCertificate, "/statements/{number}/certificate", kGet, Area::kPage},
    {RouteId::kCertificateCss, "/static/certificate.css", kGet, Area::kPlain},
    {RouteId::kStatement, "/statements/{number}", kGet, Area::kPage},
    {RouteId::kSearch, "/search", kGet, Area::kPage},
    {RouteId::kStats, "/stats", kGet, Area::kPage},
    {RouteId::kStatsCsv, "/stats.csv", kGet, Area::kPage},
    // Any target at all, even one not starting with '/'.
    {RouteId::kPageUnknown, "{path}", kGet, Area::kPage},
};

}  // namespace

Target SplitTarget(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  for (Language l : {Language::kTraditional, Language::kEnglish, Language::kSimplified}) {
    std::string prefix = "/" + std::string(LanguageCode(l));
    if (path == prefix || path.starts_with(prefix + "/")) {
      t.lang = l;
      t.explicit_lang = true;
      path.remove_prefix(prefix.size());
      break;
    }
  }
  t.path = path.empty() ? "/" : std::string(path);
  return t;
}

bool MatchPattern(std::string_view pattern, std::string_view path, std::string_view* capture) {
  *capture = {};
  size_t open = pattern.find('{');
  if (open == std::string_view::npos) return path == pattern;
  std::string_view before = pattern.substr(0, open);
  std::string_view after = pattern.substr(pattern.find('}', open) + 1);
  if (!path.starts_with(before) || !path.ends_with(after)) return false;
  size_t rest = path.size() - before.size();
  *capture = path.substr(before.size(), rest >= after.size() ? rest - after.size()
                                                             : std::string_view::npos);
  return true;
}

bool ServesMethod(const Route& route, http::verb method) {
  if (route.methods == kAnyMethod) return true;
  if (method == http::verb::get || method == http::verb::head) return route.methods & kGet;
  if (method == http::verb::post) return route.methods & kPost;
  return false;
}

std::string AllowHeader(uint8_t methods) {
  std::string allow;
  if (methods & kGet) allow = "GET, HEAD";
  if (methods & kPost) allow += allow.empty() ? "POST" : ", POST";
  return allow;
}

RouteMatch MatchRoute(std::string_view path, http::verb method, bool explicit_lang) {
  for (const Route& route : kRoutes) {
    if (route.no_prefix && explicit_lang) continue;
    std::string_view capture;
    if (!MatchPattern(route.pattern, path, &capture)) continue;
    bool serves = ServesMethod(route, method);
    if (!serves && route.falls_through) continue;
    return RouteMatch{&route, serves, capture};
  }
  // Unreachable: the last route fits every path. Kept total for a table edited wrongly.
  const Route& unknown = RouteOf(RouteId::kPageUnknown);
  return RouteMatch{&unknown, ServesMethod(unknown, method), {}};
}

std::span<const Route> AllRoutes() { return kRoutes; }

const Route& RouteOf(RouteId id) {
  for (const Route& route : kRoutes) {
    if (route.id == id) return route;
  }
  return kRoutes[std::size(kRoutes) - 1];
}

}  // namespace tuidang::web
