#include "web/app.h"

#include "web/guard_web.h"
#include "web/gzip.h"
#include "web/ops_pages.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

struct Target {
  Language lang = Language::kSimplified;
  bool explicit_lang = false;
  std::string path;   // without language prefix
  std::string query;  // after '?', undecoded
};

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

}  // namespace

void App::Handle(Request req, Responder respond) {
  Handle(std::move(req), std::nullopt, std::move(respond));
}

void App::Handle(Request req, std::optional<safety::ClientKey> client, Responder respond_raw) {
  bool head = req.method() == http::verb::head;
  Responder respond = [respond_raw = std::move(respond_raw), head](Response res) {
    AddCommonHeaders(res);
    if (head) {
      res.prepare_payload();
      res.body().clear();
      res.set(http::field::content_length, "0");
    }
    respond_raw(std::move(res));
  };
  Target t = SplitTarget(req.target());
  const std::string& path = t.path;
  bool get = req.method() == http::verb::get || head;
  bool post = req.method() == http::verb::post;
  // Rate limits (429/503), the proof-of-work challenge and script (guard_web.h).
  if (GateRequest(env_, req, path,
                  path.starts_with("/api/") ? PreferredLanguage(req[http::field::accept_language])
                                            : t.lang,
                  path.starts_with("/api/"), client, respond)) {
    return;
  }

  if (path == "/healthz") {
    return respond(TextResponse(http::status::ok, "ok\n", "text/plain; charset=utf-8",
                                Caching::kNoStore));
  }
  if (t.path.starts_with("/log/") && !t.explicit_lang) {
    if (!get) {
      return respond(TextResponse(http::status::method_not_allowed, "method not allowed\n",
                                  "text/plain; charset=utf-8", Caching::kNoStore));
    }
    if (path == "/log/checkpoint") return respond(LogCheckpoint(env_));
    return respond(LogTile(env_, std::string_view(path).substr(5),
                           AcceptsGzip(req[http::field::accept_encoding])));
  }
  if (path.starts_with("/api/")) {
    Language lang = PreferredLanguage(req[http::field::accept_language]);
    auto query = Form::Parse(t.query);
    if (!query) {
      return respond(ApiError(*env_.catalog, lang, http::status::bad_request, "invalid_query",
                              "error.query"));
    }
    if (path == "/api/v1/statements") {
      if (post) return ApiPostStatement(env_, lang, req, std::move(respond), client);
      if (get) return respond(ApiListStatements(env_, lang, *query));
    } else if (path.starts_with("/api/v1/statements/")) {
      if (get) return respond(ApiGetStatement(env_, lang, path.substr(19)));
    } else if (path.starts_with("/api/v1/receipts/")) {
      if (get) return respond(ApiGetReceipt(env_, lang, path.substr(17), client));
    } else if (path == "/api/v1/stats") {
      if (get) return respond(ApiStats(env_));
    } else {
      return respond(
          ApiError(*env_.catalog, lang, http::status::not_found, "not_found", "error.not_found"));
    }
    return respond(ApiError(*env_.catalog, lang, http::status::method_not_allowed,
                            "method_not_allowed", "error.method"));
  }
  if (path == "/static/site.css" && get) {
    return respond(TextResponse(http::status::ok, std::string(SiteCss()),
                                "text/css; charset=utf-8", Caching::kShort));
  }

  PageContext ctx{*env_.catalog, t.lang,
                  path + (t.query.empty() ? std::string() : "?" + t.query)};
  auto query = Form::Parse(t.query);
  if (!query) return respond(ErrorPage(ctx, http::status::bad_request, "error.query"));

  if (path == "/ops" || path.starts_with("/ops/")) {
    // The console speaks the operator's browser language unless a prefix says otherwise.
    PageContext ops_ctx{*env_.catalog,
                        t.explicit_lang ? t.lang : PreferredLanguage(req[http::field::accept_language]),
                        path};
    if (!get && !post) return respond(MethodNotAllowed(ops_ctx, "GET, HEAD, POST"));
    if (post && !IsFormContentType(req[http::field::content_type]) &&
        !(OpsTakesUploads(path) && MultipartBoundary(req[http::field::content_type]))) {
      return respond(ErrorPage(ops_ctx, http::status::unsupported_media_type, "error.media_type"));
    }
    return OpsHandle(ops_ctx, env_, req, path, *query, client, std::move(respond));
  }
  if (path == "/") {
    if (!get) return respond(MethodNotAllowed(ctx, "GET, HEAD"));
    if (!t.explicit_lang) {
      Language preferred = PreferredLanguage(req[http::field::accept_language]);
      if (preferred != Language::kSimplified) {
        Response res = Redirect(LocalUrl(preferred, "/"));
        res.set(http::field::vary, "Accept-Language");
        return respond(std::move(res));
      }
    }
    Response res = HomePage(ctx, env_);
    res.set(http::field::vary, "Accept-Language");
    return respond(std::move(res));
  }
  if (path == "/submit") {
    if (get) return respond(SubmitFormPage(ctx, env_));
    if (!post) return respond(MethodNotAllowed(ctx, "GET, HEAD, POST"));
    if (!IsFormContentType(req[http::field::content_type])) {
      return respond(ErrorPage(ctx, http::status::unsupported_media_type, "error.media_type"));
    }
    return SubmitPost(ctx, env_, req.body(), std::move(respond), client);
  }
  if (path.starts_with("/receipt/") && path.ends_with("/correct")) {
    if (!get && !post) return respond(MethodNotAllowed(ctx, "GET, HEAD, POST"));
    if (post && !IsFormContentType(req[http::field::content_type])) {
      return respond(ErrorPage(ctx, http::status::unsupported_media_type, "error.media_type"));
    }
    return ReceiptCorrect(ctx, env_, path.substr(9, path.size() - 9 - 8), req, client,
                          std::move(respond));
  }
  if (post && path.starts_with("/receipt/") && path.ends_with("/withdraw")) {
    if (!IsFormContentType(req[http::field::content_type])) {
      return respond(ErrorPage(ctx, http::status::unsupported_media_type, "error.media_type"));
    }
    return ReceiptWithdraw(ctx, env_, path.substr(9, path.size() - 9 - 9), req.body(), client,
                           std::move(respond));
  }
  if (!get) return respond(MethodNotAllowed(ctx, "GET, HEAD"));
  if (path == "/receipt") return respond(ReceiptLookup(ctx, *query));
  if (path.starts_with("/receipt/") && path.ends_with("/proof")) {
    return respond(ReceiptProof(ctx, env_, path.substr(9, path.size() - 9 - 6), client));
  }
  if (path.starts_with("/receipt/")) {
    return respond(ReceiptPage(ctx, env_, path.substr(9), client));
  }
  if (path == "/log") return respond(LogPage(ctx, env_));
  if (path == "/statements") return respond(DayListPage(ctx, env_, *query));
  // Certificates (certificate.cc).
  if (path.starts_with("/statements/") && path.ends_with("/certificate")) {
    return respond(CertificatePage(ctx, env_, path.substr(12, path.size() - 12 - 12)));
  }
  if (path == "/static/certificate.css") {
    return respond(TextResponse(http::status::ok, std::string(CertificateCss()),
                                "text/css; charset=utf-8", Caching::kShort));
  }
  if (path.starts_with("/statements/")) {
    return respond(StatementPage(ctx, env_, path.substr(12)));
  }
  if (path == "/search") return respond(SearchPage(ctx, env_, *query));
  // Statistics (issue 6, stats_page.cc).
  if (path == "/stats") return respond(StatsPage(ctx, env_, *query));
  if (path == "/stats.csv") return respond(StatsCsv(env_));
  respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
}

size_t App::BodyLimit(const Request& header) {
  Target t = SplitTarget(header.target());
  return OpsBodyLimit(env_, header, t.path);
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
  if (t.path.starts_with("/api/")) {
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
