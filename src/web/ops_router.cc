// The console's router: every route of Area::kConsole (routes.h) once App checked its
// method and body type. It reads the POST body, finds the session, serves the two pages
// without one (set-up, login), then checks the CSRF token and the operator's action limit
// (Admission::kOperatorAction) and hands the request to its page. Every page is no-store;
// every form carries the session's CSRF token.
#include <algorithm>

#include "web/ops_auth.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// The POST body's fields and files; nullopt (after answering 400) when it cannot be read.
// A truncated or malformed upload is refused whole: nothing of it is used.
std::optional<Form> ReadBody(const RequestContext& rq, std::vector<MultipartPart>* files,
                             Responder& respond) {
  const PageContext& ctx = rq.page;
  if (auto boundary = MultipartBoundary(rq.http[http::field::content_type])) {
    auto parts = ParseMultipart(rq.http.body(), *boundary);
    if (!parts) {
      respond(ErrorPage(ctx, http::status::bad_request, "ops.upload.malformed"));
      return std::nullopt;
    }
    Form form = FieldsOf(*parts);
    for (auto& p : *parts) {
      if (p.filename) files->push_back(std::move(p));
    }
    return form;
  }
  auto f = Form::Parse(rq.http.body());
  if (!f) {
    respond(ErrorPage(ctx, http::status::bad_request, "error.form_encoding"));
    return std::nullopt;
  }
  return std::move(*f);
}

// The pages of a live session, once its CSRF token and action limit were checked.
void SessionPage(const OpsRequest& r, RouteId id, Responder respond) {
  const PageContext& ctx = r.ctx;
  if ((id == RouteId::kConsoleQueue || id == RouteId::kConsoleWithdraw) &&
      !OpsAllows(r.session, Role::kModerator)) {
    return respond(ErrorPage(ctx, http::status::forbidden, "ops.forbidden"));
  }
  switch (id) {
    case RouteId::kConsoleLogout:
      if (r.post) return respond(OpsLogout(r));
      break;
    case RouteId::kConsoleHome: return respond(OpsHome(r));
    case RouteId::kConsoleEnter: return OpsEnter(r, std::move(respond));
    case RouteId::kConsoleWithdraw: return respond(OpsWithdraw(r));
    case RouteId::kConsoleQueue: return respond(OpsQueue(r));
    case RouteId::kConsoleImport: return respond(OpsImport(r));
    case RouteId::kConsoleUnlock: return respond(OpsUnlock(r));
    case RouteId::kConsolePrivate: return respond(OpsPrivate(r, false));
    case RouteId::kConsolePrivateFile: return respond(OpsPrivate(r, true));
    case RouteId::kConsoleAudit: return respond(OpsAudit(r));
    default:  // a GET of /ops/login, an unknown console page
      break;
  }
  respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
}

}  // namespace

std::optional<std::string> OpsSessionCookie(const Request& req) {
  return SessionCookie(req[http::field::cookie]);
}

void OpsRoute(const RequestContext& rq, Responder respond) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  if (!env.operators || !env.sessions || !env.moderation || !env.auth) {
    return respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
  }
  bool post = rq.post();
  static const Form kEmpty;
  std::optional<Form> form;
  std::vector<MultipartPart> files;  // a multipart POST's files (uploads, attachments)
  if (post) {
    form = ReadBody(rq, &files, respond);
    if (!form) return;
  }
  std::optional<std::string> sid = OpsSessionCookie(rq.http);
  std::optional<OpsSession> session;
  if (sid) session = env.auth->CurrentSession(*sid);
  // A session that ended (idle timeout, its operator disabled or reset) takes its unlocked
  // office key with it.
  if (sid && !session && env.keyring) env.keyring->Lock(*sid);

  // Pages without a session: set-up and login.
  RouteId id = rq.route.id;
  if (id == RouteId::kConsoleSetup) return OpsSetup(rq, post ? *form : kEmpty, std::move(respond));
  if (id == RouteId::kConsoleLogin && post) return OpsLogin(rq, *form, std::move(respond));
  if (!session) return respond(OpsLoginPage(ctx, id == RouteId::kConsoleHome));

  const OpsSession& s = *session;
  if (post && !ConstantTimeEquals(form->GetOr("csrf"), s.csrf)) {
    return respond(ErrorPage(ctx, http::status::forbidden, "ops.csrf"));
  }
  // Every action (a POST) counts against the operator's limit (operator_actions_per_minute):
  // a stolen session or a runaway script cannot enter or reject thousands.
  if (post && env.guard && rq.route.admission == Admission::kOperatorAction) {
    safety::Admission a = env.guard->AdmitOperator(s.name);
    if (!a.allowed) {
      Response res = ErrorPage(ctx, http::status::too_many_requests, "ops.rate_limited");
      res.set(http::field::retry_after, std::to_string(std::max<int64_t>(a.retry_after, 1)));
      return respond(std::move(res));
    }
  }
  OpsRequest r{ctx, env, s, *sid, post, post ? *form : kEmpty, rq.query, files};
  SessionPage(r, id, std::move(respond));
}

}  // namespace tuidang::web
