#include "web/routes.h"

#include <array>

namespace tuidang::web {

namespace {

// Builds a table row: what a route serves, then what differs from the defaults.
class Row {
 public:
  constexpr Row(RouteId id, std::string_view pattern, uint8_t methods, Area area)
      : route_{id, pattern, methods, area} {}
  constexpr Row& Admit(Admission a) { return route_.admission = a, *this; }
  constexpr Row& Takes(Body b) { return route_.body = b, *this; }
  constexpr Row& BeforeQuery() { return route_.before_query = true, *this; }
  constexpr Row& FallsThrough() { return route_.falls_through = true, *this; }
  constexpr Row& NoPrefix() { return route_.no_prefix = true, *this; }
  constexpr operator Route() const { return route_; }

 private:
  Route route_;
};

constexpr uint8_t kGetPost = kGet | kPost;
constexpr Area kConsole = Area::kConsole;
constexpr Admission kAction = Admission::kOperatorAction;
constexpr Admission kCode = Admission::kReceiptCode;

// In matching order. The order is behaviour: the POST-only receipt actions fall through to
// the old-link route (GET /receipt/withdraw is an old link), the captures are greedy, and
// each area ends in its catch-all.
constexpr Route kRoutes[] = {
    // Answered by the abuse gate before anything else (GateRequest).
    Row(RouteId::kPowScript, "/static/pow.js", kGet, Area::kPlain).BeforeQuery().FallsThrough(),
    Row(RouteId::kChallenge, "/api/v1/challenge", kGet, Area::kApi).BeforeQuery().FallsThrough(),
    Row(RouteId::kHealth, "/healthz", kAnyMethod, Area::kPlain).BeforeQuery(),
    Row(RouteId::kLogCheckpoint, "/log/checkpoint", kGet, Area::kLog).BeforeQuery().NoPrefix(),
    Row(RouteId::kLogTile, "/log/{tile}", kGet, Area::kLog).BeforeQuery().NoPrefix(),

    Row(RouteId::kApiStatements, "/api/v1/statements", kGetPost, Area::kApi)
        .Admit(Admission::kSubmit),
    Row(RouteId::kApiStatement, "/api/v1/statements/{number}", kGet, Area::kApi),
    Row(RouteId::kApiReceipt, "/api/v1/receipts/{code}", kGet, Area::kApi).Admit(kCode),
    Row(RouteId::kApiStats, "/api/v1/stats", kGet, Area::kApi),
    Row(RouteId::kApiUnknown, "/api/{path}", kAnyMethod, Area::kApi),

    Row(RouteId::kStatic, "/static/{file}", kGet, Area::kPlain).BeforeQuery(),
    Row(RouteId::kFavicon, "/favicon.ico", kGet, Area::kPlain).BeforeQuery().NoPrefix(),

    Row(RouteId::kConsoleHome, "/ops", kGetPost, kConsole).Admit(kAction).Takes(Body::kForm),
    Row(RouteId::kConsoleSetup, "/ops/setup", kGetPost, kConsole).Takes(Body::kForm),
    Row(RouteId::kConsoleLogin, "/ops/login", kGetPost, kConsole).Takes(Body::kForm),
    Row(RouteId::kConsoleLogout, "/ops/logout", kGetPost, kConsole).Takes(Body::kForm),
    Row(RouteId::kConsoleEnter, "/ops/enter", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kUpload),
    Row(RouteId::kConsoleQueue, "/ops/queue", kGetPost, kConsole).Admit(kAction).Takes(Body::kForm),
    Row(RouteId::kConsoleWithdraw, "/ops/withdraw", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kForm),
    Row(RouteId::kConsoleImport, "/ops/import", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kUpload),
    Row(RouteId::kConsoleUnlock, "/ops/unlock", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kForm),
    Row(RouteId::kConsolePrivate, "/ops/private", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kForm),
    Row(RouteId::kConsolePrivateFile, "/ops/private/file", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kForm),
    Row(RouteId::kConsoleAudit, "/ops/audit", kGetPost, kConsole).Admit(kAction).Takes(Body::kForm),
    Row(RouteId::kConsoleUnknown, "/ops/{page}", kGetPost, kConsole)
        .Admit(kAction)
        .Takes(Body::kForm),

    Row(RouteId::kHome, "/", kGet, Area::kPage),
    Row(RouteId::kSubmit, "/submit", kGetPost, Area::kPage)
        .Admit(Admission::kSubmit)
        .Takes(Body::kForm),
    // Every use of a receipt code is a POST with the code in the form body (field "code"),
    // never in the path: a path lands in the browser's history (docs/threat-model.md §8).
    // Each POST falls through to the old-link route when it is a GET.
    Row(RouteId::kReceipt, "/receipt", kPost, Area::kPage)
        .Admit(kCode)
        .Takes(Body::kForm)
        .FallsThrough(),
    Row(RouteId::kReceiptLookup, "/receipt", kGet, Area::kPage),
    Row(RouteId::kReceiptProof, "/receipt/proof", kPost, Area::kPage)
        .Admit(kCode)
        .Takes(Body::kForm)
        .FallsThrough(),
    Row(RouteId::kReceiptCertificate, "/receipt/certificate", kPost, Area::kPage)
        .Admit(kCode)
        .Takes(Body::kForm)
        .FallsThrough(),
    Row(RouteId::kReceiptCorrect, "/receipt/correct", kPost, Area::kPage)
        .Admit(kCode)
        .Takes(Body::kForm)
        .FallsThrough(),
    Row(RouteId::kReceiptWithdraw, "/receipt/withdraw", kPost, Area::kPage)
        .Admit(kCode)
        .Takes(Body::kForm)
        .FallsThrough(),
    // The addresses of before (/receipt/<code>, .../proof, .../correct, .../withdraw), and a
    // GET of the action paths: sent to the look-up form; the capture is never read.
    Row(RouteId::kReceiptOldLink, "/receipt/{old}", kGetPost, Area::kPage).Takes(Body::kForm),
    Row(RouteId::kLogPage, "/log", kGet, Area::kPage),
    Row(RouteId::kDayList, "/statements", kGet, Area::kPage),
    Row(RouteId::kCertificate, "/statements/{number}/certificate", kGet, Area::kPage),
    Row(RouteId::kStatement, "/statements/{number}", kGet, Area::kPage),
    Row(RouteId::kSearch, "/search", kGet, Area::kPage),
    Row(RouteId::kStats, "/stats", kGet, Area::kPage),
    Row(RouteId::kStatsCsv, "/stats.csv", kGet, Area::kPage),
    Row(RouteId::kAbout, "/about", kGet, Area::kPage),
    Row(RouteId::kPrivacy, "/privacy", kGet, Area::kPage),
    Row(RouteId::kSafety, "/safety", kGet, Area::kPage),
    // Any target at all, even one not starting with '/'.
    Row(RouteId::kPageUnknown, "{path}", kGet, Area::kPage),
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
  *capture = path.substr(before.size(),
                         rest >= after.size() ? rest - after.size() : std::string_view::npos);
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
