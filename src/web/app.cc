#include "web/app.h"

#include "web/guard_web.h"
#include "web/gzip.h"
#include "web/ops_pages.h"
#include "web/pages.h"
#include "web/request_context.h"
#include "web/routes.h"
#include "web/static_files.h"

namespace tuidang::web {

namespace {

bool IsFormContentType(std::string_view ct) {
  std::string_view type = ct.substr(0, ct.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type != "application/x-www-form-urlencoded") return false;
  auto cs = ct.find("charset=");
  if (cs == std::string_view::npos) return true;
  std::string charset(ct.substr(cs + 8));
  for (auto& c : charset) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return charset.starts_with("utf-8") || charset.starts_with("\"utf-8\"");
}

Response MethodNotAllowed(const PageContext& ctx, std::string_view allow) {
  Response res = ErrorPage(ctx, http::status::method_not_allowed, "error.method");
  res.set(http::field::allow, allow);
  return res;
}

Response PlainText(std::string text, std::string_view content_type, Caching caching) {
  return TextResponse(http::status::ok, std::move(text), content_type, caching);
}

// The routes answered before the query is parsed (RouteMatch::before_query), method fitting.
Response BeforeQuery(const AppEnv& env, const Request& req, const RouteMatch& m) {
  switch (m.route->id) {
    case RouteId::kLogCheckpoint: return LogCheckpoint(env);
    case RouteId::kLogTile:
      return LogTile(env, m.capture, AcceptsGzip(req[http::field::accept_encoding]));
    case RouteId::kStatic: {
      bool current = false;
      const StaticFile* file = FindStaticFile(m.capture, &current);
      if (!file) {
        return TextResponse(http::status::not_found, "not found\n", "text/plain; charset=utf-8",
                            Caching::kNoStore);
      }
      return StaticFileResponse(*file, current, AcceptsGzip(req[http::field::accept_encoding]));
    }
    case RouteId::kFavicon: {
      bool current = false;
      Response res = StaticFileResponse(*FindStaticFile("favicon.ico", &current), false,
                                        AcceptsGzip(req[http::field::accept_encoding]));
      res.set(http::field::cache_control, "public, max-age=86400");  // a day: it rarely changes
      return res;
    }
    default:  // kHealth; the gate answered its own (pow.js, the challenge)
      return PlainText("ok\n", "text/plain; charset=utf-8", Caching::kNoStore);
  }
}

// GET / in the visitor's language: without a prefix, a browser asking for Traditional
// Chinese, or for English and no Chinese at all, is sent to its prefix (HomeLanguage).
Response Home(const RequestContext& rq, bool explicit_lang) {
  if (!explicit_lang) {
    Language preferred = HomeLanguage(rq.http[http::field::accept_language]);
    if (preferred != Language::kSimplified) {
      Response res = Redirect(LocalUrl(preferred, "/"));
      res.set(http::field::vary, "Accept-Language");
      return res;
    }
  }
  Response res = HomePage(rq.page, rq.env);
  res.set(http::field::vary, "Accept-Language");
  return res;
}

// The API's routes, once the query was parsed and the method fits.
void Api(const RequestContext& rq, Responder respond) {
  switch (rq.route.id) {
    case RouteId::kApiStatements:
      if (rq.post()) return ApiPostStatement(rq, std::move(respond));
      return respond(ApiListStatements(rq));
    case RouteId::kApiStatement: return respond(ApiGetStatement(rq));
    case RouteId::kApiReceipt: return respond(ApiGetReceipt(rq));
    case RouteId::kApiStats: return respond(ApiStats(rq));
    default:  // kApiUnknown, and the challenge without an abuse gate
      return respond(ApiError(*rq.env.catalog, rq.page.lang, http::status::not_found, "not_found",
                              "error.not_found"));
  }
}

// The public pages' routes, once the query was parsed and the method and body fit.
void Page(const RequestContext& rq, bool explicit_lang, Responder respond) {
  const PageContext& ctx = rq.page;
  switch (rq.route.id) {
    case RouteId::kHome: return respond(Home(rq, explicit_lang));
    case RouteId::kSubmit:
      if (rq.post()) return SubmitPost(rq, std::move(respond));
      return respond(SubmitFormPage(ctx, rq.env));
    case RouteId::kReceipt: return respond(ReceiptPage(rq));
    case RouteId::kReceiptLookup: return respond(ReceiptLookup(rq));
    case RouteId::kReceiptProof: return respond(ReceiptProof(rq));
    case RouteId::kReceiptCertificate: return respond(ReceiptCertificate(rq));
    case RouteId::kReceiptCorrect: return ReceiptCorrect(rq, std::move(respond));
    case RouteId::kReceiptWithdraw: return ReceiptWithdraw(rq, std::move(respond));
    case RouteId::kReceiptOldLink: return respond(ReceiptOldLink(rq));
    case RouteId::kLogPage: return respond(LogPage(ctx, rq.env));
    case RouteId::kDayList: return respond(DayListPage(rq));
    case RouteId::kCertificate: return respond(CertificatePage(rq));
    case RouteId::kStatement: return respond(StatementPage(rq));
    case RouteId::kSearch: return respond(SearchPage(rq));
    case RouteId::kStats: return respond(StatsPage(rq));
    case RouteId::kStatsCsv: return respond(StatsCsv(rq.env));
    case RouteId::kAbout:
    case RouteId::kPrivacy:
    case RouteId::kSafety: return respond(CenterPage(rq));
    default:  // kPageUnknown
      return respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
  }
}

// The route of a request; without an abuse gate there is no challenge: its path is an
// unknown API path.
RouteMatch Match(const Target& t, http::verb method, const AppEnv& env) {
  RouteMatch m = MatchRoute(t.path, method, t.explicit_lang);
  if (m.route->id == RouteId::kChallenge && !env.guard) {
    m = {&RouteOf(RouteId::kApiUnknown), true, {}};
  }
  return m;
}

// The public reads that go to the store for each page: the read lane's (AppOptions::
// read_threads). Not the receipts (a declarant's, limited by the gate), the home page, the
// form, the log and its tiles (cached) or /healthz.
bool InReadLane(RouteId id) {
  switch (id) {
    case RouteId::kDayList:
    case RouteId::kStatement:
    case RouteId::kCertificate:
    case RouteId::kSearch:
    case RouteId::kStats:
    case RouteId::kStatsCsv:
    case RouteId::kApiStatements:
    case RouteId::kApiStatement:
    case RouteId::kApiStats: return true;
    default: return false;
  }
}

}  // namespace

void App::Handle(Request req, Responder respond) {
  Handle(std::move(req), std::nullopt, std::move(respond));
}

void App::Handle(Request req, std::optional<safety::ClientKey> client, Responder respond_raw) {
  bool head = req.method() == http::verb::head;
  bool gzip = AcceptsGzip(req[http::field::accept_encoding]);
  Responder respond = [respond_raw = std::move(respond_raw), head, gzip,
                       retry = env_.options.retry_after_seconds](Response res) {
    // Every 503 (the database down, the queue full) says when to come back, pages as well
    // as the API; a handler that knows better (the gate's limits) set its own.
    if (res.result() == http::status::service_unavailable &&
        res.find(http::field::retry_after) == res.end()) {
      res.set(http::field::retry_after, std::to_string(retry));
    }
    AddCommonHeaders(res);
    // Pages not cached are compressed here; cached ones and static files came compressed.
    CompressForClient(res, gzip && !head);
    if (head) {
      res.prepare_payload();
      res.body().clear();
      res.set(http::field::content_length, "0");
    }
    respond_raw(std::move(res));
  };
  Target t = SplitTarget(req.target());
  RouteMatch m = Match(t, req.method(), env_);
  Language browser = PreferredLanguage(req[http::field::accept_language]);
  // Rate limits (429/503), the proof-of-work challenge and script (guard_web.h).
  if (GateRequest(env_, req, m, t.path, m.route->area == Area::kApi ? browser : t.lang, client,
                  respond)) {
    return;
  }
  if (reads_ && m.method_allowed && InReadLane(m.route->id) &&
      (req.method() == http::verb::get || req.method() == http::verb::head)) {
    // The match points into `t`, which stays here: the lane splits the moved request again.
    auto shared = std::make_shared<Request>(std::move(req));
    if (!reads_->TryPost([this, shared, client, respond] {
          Target lt = SplitTarget(shared->target());
          Dispatch(*shared, client, respond, lt, Match(lt, shared->method(), env_));
        })) {
      respond(TransportError(http::status::service_unavailable, shared->target(),
                             (*shared)[http::field::accept_language]));
    }
    return;
  }
  Dispatch(req, client, std::move(respond), t, m);
}

void App::Dispatch(Request& req, const std::optional<safety::ClientKey>& client, Responder respond,
                   const Target& t, const RouteMatch& m) {
  const web::Route& route = *m.route;
  Language browser = PreferredLanguage(req[http::field::accept_language]);
  if (m.method_allowed && route.before_query) return respond(BeforeQuery(env_, req, m));
  if (route.area == Area::kLog) {
    return respond(TextResponse(http::status::method_not_allowed, "method not allowed\n",
                                "text/plain; charset=utf-8", Caching::kNoStore));
  }

  PageContext ctx{*env_.catalog, t.lang,
                  t.path + (t.query.empty() ? std::string() : "?" + t.query)};
  auto query = Form::Parse(t.query);
  if (route.area == Area::kApi) {
    if (!query) {
      return respond(ApiError(*env_.catalog, browser, http::status::bad_request, "invalid_query",
                              "error.query"));
    }
    if (!m.method_allowed) {
      return respond(ApiError(*env_.catalog, browser, http::status::method_not_allowed,
                              "method_not_allowed", "error.method"));
    }
    PageContext api_ctx{*env_.catalog, browser, t.path};
    return Api(RequestContext{api_ctx, env_, req, route, m.capture, *query, client},
               std::move(respond));
  }
  // A malformed query is answered as a page in the prefix's language, the console's too.
  if (!query) return respond(ErrorPage(ctx, http::status::bad_request, "error.query"));
  // The console speaks the operator's browser language unless a prefix says otherwise, and
  // its language links leave the query out.
  PageContext page = route.area == Area::kConsole
                         ? PageContext{*env_.catalog, t.explicit_lang ? t.lang : browser, t.path}
                         : ctx;
  if (!m.method_allowed) return respond(MethodNotAllowed(page, AllowHeader(route.methods)));
  if (req.method() == http::verb::post && route.body != Body::kAny) {
    std::string_view type = req[http::field::content_type];
    if (!IsFormContentType(type) && !(route.body == Body::kUpload && MultipartBoundary(type))) {
      return respond(ErrorPage(page, http::status::unsupported_media_type, "error.media_type"));
    }
  }
  RequestContext rq{page, env_, req, route, m.capture, *query, client};
  if (route.area == Area::kConsole) return OpsRoute(rq, std::move(respond));
  Page(rq, t.explicit_lang, std::move(respond));
}

size_t App::BodyLimit(const Request& header) {
  Target t = SplitTarget(header.target());
  RouteMatch m = MatchRoute(t.path, header.method(), t.explicit_lang);
  if (header.method() != http::verb::post || m.route->body != Body::kUpload) return kMaxBodyBytes;
  return OpsBodyLimit(env_, header);
}

Response App::TransportError(http::status status, std::string_view target,
                             std::string_view accept_language) {
  Target t = SplitTarget(target);
  std::string_view key = "error.bad_request";
  std::string_view code = "bad_request";
  if (status == http::status::payload_too_large) key = "error.too_large", code = "too_large";
  if (status == http::status::request_header_fields_too_large) {
    key = "error.header_too_large", code = "header_too_large";
  }
  if (status == http::status::service_unavailable) key = "error.overloaded", code = "overloaded";
  Response res;
  if (MatchRoute(t.path, http::verb::get, t.explicit_lang).route->area == Area::kApi) {
    res = ApiError(*env_.catalog, PreferredLanguage(accept_language), status, code, key);
  } else {
    PageContext ctx{*env_.catalog, t.explicit_lang ? t.lang : PreferredLanguage(accept_language),
                    t.path};
    res = ErrorPage(ctx, status, key);
  }
  if (status == http::status::service_unavailable) {
    res.set(http::field::retry_after, std::to_string(env_.options.retry_after_seconds));
  }
  AddCommonHeaders(res);
  return res;
}

std::optional<int64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Response ErrorPage(const PageContext& ctx, http::status status, std::string_view message_key) {
  std::string body = "<h1>" + ctx.TrHtml(message_key) + "</h1><p><a href=\"" + ctx.Href("/") +
                     "\">" + ctx.TrHtml("nav.home") + "</a></p>";
  return HtmlResponse(status, Layout(ctx, ctx.Tr(message_key), body), Caching::kNoStore);
}

}  // namespace tuidang::web
