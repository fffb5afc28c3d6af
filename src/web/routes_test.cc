#include "web/routes.h"

#include <gtest/gtest.h>

#include <set>

namespace tuidang::web {
namespace {

using http::verb;

// The route, method fit and capture of `target` (split as App splits it).
struct Found {
  RouteId id;
  bool allowed;
  std::string capture;
};
Found Find(std::string_view target, verb method = verb::get) {
  Target t = SplitTarget(target);
  RouteMatch m = MatchRoute(t.path, method, t.explicit_lang);
  return {m.route->id, m.method_allowed, std::string(m.capture)};
}

TEST(SplitTarget, LanguagePrefixesAndQuery) {
  Target t = SplitTarget("/zh-hant/statements?date=2024-01-02&page=2");
  EXPECT_EQ(t.lang, Language::kTraditional);
  EXPECT_TRUE(t.explicit_lang);
  EXPECT_EQ(t.path, "/statements");
  EXPECT_EQ(t.query, "date=2024-01-02&page=2");
  t = SplitTarget("/en");
  EXPECT_EQ(t.lang, Language::kEnglish);
  EXPECT_EQ(t.path, "/");
  t = SplitTarget("/zh-hans/");
  EXPECT_EQ(t.lang, Language::kSimplified);
  EXPECT_TRUE(t.explicit_lang);
  EXPECT_EQ(t.path, "/");
  // A prefix is a whole segment; an escaped one is no prefix.
  t = SplitTarget("/english");
  EXPECT_FALSE(t.explicit_lang);
  EXPECT_EQ(t.path, "/english");
  t = SplitTarget("/%65n/submit");
  EXPECT_FALSE(t.explicit_lang);
  EXPECT_EQ(t.path, "/%65n/submit");
  EXPECT_EQ(SplitTarget("").path, "/");
}

TEST(MatchPattern, CapturesAreGreedyAndMayBeEmpty) {
  std::string_view c;
  EXPECT_TRUE(MatchPattern("/receipt/{code}/proof", "/receipt/12345/proof", &c));
  EXPECT_EQ(c, "12345");
  EXPECT_TRUE(MatchPattern("/receipt/{code}/proof", "/receipt//proof", &c));
  EXPECT_EQ(c, "");
  EXPECT_TRUE(MatchPattern("/receipt/{code}/proof", "/receipt/1/2/proof", &c));
  EXPECT_EQ(c, "1/2");
  // Overlapping text around the capture: everything after the text before it, as the
  // substr-based router read it.
  EXPECT_TRUE(MatchPattern("/receipt/{code}/withdraw", "/receipt/withdraw", &c));
  EXPECT_EQ(c, "withdraw");
  EXPECT_FALSE(MatchPattern("/receipt/{code}/proof", "/receipt/1/prooff", &c));
  EXPECT_FALSE(MatchPattern("/receipt", "/receipt/", &c));
  EXPECT_TRUE(MatchPattern("{path}", "*", &c));
  EXPECT_EQ(c, "*");
}

TEST(MatchRoute, CapturesKeepPercentEscapes) {
  Found f = Find("/receipt/%EF%BC%91234/withdraw", verb::post);
  EXPECT_EQ(f.id, RouteId::kReceiptOldLink);
  EXPECT_EQ(f.capture, "%EF%BC%91234/withdraw");
  f = Find("/en/statements/42/certificate");
  EXPECT_EQ(f.id, RouteId::kCertificate);
  EXPECT_EQ(f.capture, "42");
  f = Find("/statements/42");
  EXPECT_EQ(f.id, RouteId::kStatement);
  EXPECT_EQ(f.capture, "42");
  // The escaped slash stays in the capture; nothing is decoded before the page.
  f = Find("/statements/4%2F2");
  EXPECT_EQ(f.id, RouteId::kStatement);
  EXPECT_EQ(f.capture, "4%2F2");
  f = Find("/api/v1/receipts/123?x=1");
  EXPECT_EQ(f.id, RouteId::kApiReceipt);
  EXPECT_EQ(f.capture, "123");
}

TEST(MatchRoute, ReceiptRoutesInTheirOrder) {
  // Every use of a code is a POST to a path without it; a GET of an action's path, and
  // every address with a code in it (as they were before), is an old link.
  EXPECT_EQ(Find("/receipt", verb::post).id, RouteId::kReceipt);
  EXPECT_EQ(Find("/receipt").id, RouteId::kReceiptLookup);
  EXPECT_EQ(Find("/en/receipt", verb::head).id, RouteId::kReceiptLookup);
  EXPECT_EQ(Find("/receipt/proof", verb::post).id, RouteId::kReceiptProof);
  EXPECT_EQ(Find("/receipt/certificate", verb::post).id, RouteId::kReceiptCertificate);
  EXPECT_EQ(Find("/receipt/correct", verb::post).id, RouteId::kReceiptCorrect);
  EXPECT_EQ(Find("/receipt/withdraw", verb::post).id, RouteId::kReceiptWithdraw);
  for (std::string_view old :
       {"/receipt/1", "/receipt/1/proof", "/receipt/1/correct", "/receipt/1/withdraw", "/receipt/",
        "/receipt/proof", "/receipt/withdraw", "/receipt/correct", "/receipt/certificate"}) {
    Found f = Find(old);
    EXPECT_EQ(f.id, RouteId::kReceiptOldLink) << old;
    EXPECT_TRUE(f.allowed) << old;
  }
  Found f = Find("/receipt/1/withdraw", verb::post);
  EXPECT_EQ(f.id, RouteId::kReceiptOldLink);
  EXPECT_TRUE(f.allowed);
  f = Find("/receipt/1/withdraw", verb::put);
  EXPECT_EQ(f.id, RouteId::kReceiptOldLink);
  EXPECT_FALSE(f.allowed);
  f = Find("/receipt", verb::put);
  EXPECT_EQ(f.id, RouteId::kReceiptLookup);
  EXPECT_FALSE(f.allowed);
}

TEST(MatchRoute, TrailingSlashesAreOtherPaths) {
  EXPECT_EQ(Find("/submit/").id, RouteId::kPageUnknown);
  EXPECT_EQ(Find("/stats/").id, RouteId::kPageUnknown);
  Found f = Find("/statements/");
  EXPECT_EQ(f.id, RouteId::kStatement);
  EXPECT_EQ(f.capture, "");
  EXPECT_EQ(Find("/log").id, RouteId::kLogPage);
  f = Find("/log/");
  EXPECT_EQ(f.id, RouteId::kLogTile);
  EXPECT_EQ(f.capture, "");
  EXPECT_EQ(Find("/ops").id, RouteId::kConsoleHome);
  EXPECT_EQ(Find("/ops/").id, RouteId::kConsoleUnknown);
  EXPECT_EQ(Find("/en/").id, RouteId::kHome);
  EXPECT_EQ(Find("/api").id, RouteId::kPageUnknown);
  EXPECT_EQ(Find("/api/").id, RouteId::kApiUnknown);
}

TEST(MatchRoute, UnknownPathsFallIntoTheirAreasCatchAll) {
  Found f = Find("/nope");
  EXPECT_EQ(f.id, RouteId::kPageUnknown);
  EXPECT_TRUE(f.allowed);  // GET: 404
  f = Find("/nope", verb::post);
  EXPECT_EQ(f.id, RouteId::kPageUnknown);
  EXPECT_FALSE(f.allowed);  // anything else: 405
  EXPECT_EQ(AllowHeader(RouteOf(RouteId::kPageUnknown).methods), "GET, HEAD");
  f = Find("/api/v2/anything", verb::delete_);
  EXPECT_EQ(f.id, RouteId::kApiUnknown);
  EXPECT_TRUE(f.allowed);  // 404 whatever the method
  EXPECT_EQ(Find("/ops/lock", verb::post).id, RouteId::kConsoleUnknown);
  EXPECT_EQ(Find("/opsx").id, RouteId::kPageUnknown);
  EXPECT_EQ(Find("*").id, RouteId::kPageUnknown);
  EXPECT_EQ(Find("http://example.org/").id, RouteId::kPageUnknown);
}

TEST(MatchRoute, LogOnlyWithoutLanguagePrefix) {
  EXPECT_EQ(Find("/log/checkpoint").id, RouteId::kLogCheckpoint);
  Found f = Find("/log/tile/0/x001/234.p/7");
  EXPECT_EQ(f.id, RouteId::kLogTile);
  EXPECT_EQ(f.capture, "tile/0/x001/234.p/7");
  f = Find("/log/checkpoint", verb::post);
  EXPECT_EQ(f.id, RouteId::kLogCheckpoint);
  EXPECT_FALSE(f.allowed);
  EXPECT_EQ(Find("/en/log/checkpoint").id, RouteId::kPageUnknown);
  EXPECT_EQ(Find("/en/log").id, RouteId::kLogPage);
}

TEST(MatchRoute, MethodsAndTheAllowHeader) {
  EXPECT_TRUE(Find("/submit", verb::head).allowed);
  Found f = Find("/submit", verb::put);
  EXPECT_EQ(f.id, RouteId::kSubmit);
  EXPECT_FALSE(f.allowed);
  EXPECT_EQ(AllowHeader(RouteOf(RouteId::kSubmit).methods), "GET, HEAD, POST");
  EXPECT_EQ(AllowHeader(RouteOf(RouteId::kReceiptWithdraw).methods), "POST");
  EXPECT_TRUE(Find("/healthz", verb::options).allowed);
  f = Find("/api/v1/stats", verb::post);
  EXPECT_EQ(f.id, RouteId::kApiStats);
  EXPECT_FALSE(f.allowed);
  f = Find("/ops/queue", verb::delete_);
  EXPECT_EQ(f.id, RouteId::kConsoleQueue);
  EXPECT_FALSE(f.allowed);
  // The gate's own routes fall through when the method does not fit.
  // (A POST to the script then meets the static files' route, which answers 405.)
  EXPECT_EQ(Find("/static/pow.js", verb::post).id, RouteId::kStatic);
  EXPECT_EQ(Find("/api/v1/challenge", verb::post).id, RouteId::kApiUnknown);
  EXPECT_EQ(Find("/en/static/pow.js").id, RouteId::kPowScript);
}

TEST(Routes, AdmissionPolicies) {
  // The statement limit applies to both ways in, under any language prefix.
  EXPECT_EQ(RouteOf(Find("/submit", verb::post).id).admission, Admission::kSubmit);
  EXPECT_EQ(RouteOf(Find("/en/api/v1/statements", verb::post).id).admission, Admission::kSubmit);
  // Large bodies only where the console takes uploads.
  std::set<RouteId> uploads;
  for (const Route& r : AllRoutes()) {
    if (r.body == Body::kUpload) uploads.insert(r.id);
  }
  EXPECT_EQ(uploads, (std::set<RouteId>{RouteId::kConsoleImport, RouteId::kConsoleEnter}));
  for (const Route& r : AllRoutes()) {
    // Every route that takes a receipt code passes the receipt limits: the API's in its path,
    // the pages' in a POSTed form only (the path lands in the browser's history).
    bool code = r.pattern.find("{code}") != std::string_view::npos;
    if (r.area == Area::kApi) {
      EXPECT_EQ(code, r.admission == Admission::kReceiptCode) << r.pattern;
    }
    if (r.area == Area::kPage) {
      EXPECT_FALSE(code) << r.pattern;
      bool action = r.pattern == "/receipt" || (r.pattern.starts_with("/receipt/") &&
                                                r.pattern.find('{') == std::string_view::npos);
      EXPECT_EQ(action && r.methods == kPost, r.admission == Admission::kReceiptCode) << r.pattern;
    }
    // Operators' actions are limited everywhere in the console but at set-up, login and
    // logout (which have their own limits or none to spend).
    if (r.area == Area::kConsole) {
      bool free = r.id == RouteId::kConsoleSetup || r.id == RouteId::kConsoleLogin ||
                  r.id == RouteId::kConsoleLogout;
      EXPECT_EQ(r.admission == Admission::kOperatorAction, !free) << r.pattern;
      EXPECT_NE(r.body, Body::kAny) << r.pattern;
    }
    // Every POST a page takes is a form (415 otherwise).
    if (r.area == Area::kPage && (r.methods & kPost)) {
      EXPECT_EQ(r.body, Body::kForm) << r.pattern;
    }
    // Each route once.
    EXPECT_EQ(&RouteOf(r.id), &r) << r.pattern;
  }
}

}  // namespace
}  // namespace tuidang::web
