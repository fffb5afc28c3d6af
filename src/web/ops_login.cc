// The console's login and logout (docs/console.md, "Login and its limits"): the form, the
// answer to an attempt that OpsAuth evaluates on its hashing pool, and the end of a session.
#include <algorithm>

#include "core/text.h"
#include "web/ops_auth.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

std::string LoginForm(const PageContext& ctx, const std::string& error) {
  std::string b = "<h1>" + ctx.TrHtml("ops.login.title") + "</h1>";
  if (!error.empty()) b += "<p class=\"error\" id=\"error-login\">" + HtmlEscape(error) + "</p>";
  b += "<form method=\"post\" action=\"/ops/login\"><label for=\"name\">" + ctx.TrHtml("ops.name") +
       "</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>"
       "<label for=\"password\">" +
       ctx.TrHtml("ops.password") +
       "</label><input type=\"password\" id=\"password\" name=\"password\" "
       "autocomplete=\"current-password\" required><label for=\"code\">" +
       ctx.TrHtml("ops.code") +
       "</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
       "autocomplete=\"one-time-code\" maxlength=\"6\" required><button class=\"primary\" "
       "type=\"submit\">" +
       ctx.TrHtml("ops.login.button") + "</button></form>";
  return b;
}

// The answer to a login attempt (OpsAuth::Login). The refusals say nothing about whether
// the name exists: OpsAuth answers alike for every name.
Response LoginAnswer(const PageContext& ctx, const LoginOutcome& out) {
  using Kind = LoginOutcome::Kind;
  if (out.kind == Kind::kLoggedIn) {
    Response res = Redirect("/ops");
    res.set(http::field::set_cookie, SessionSetCookie(out.session_id));
    return res;
  }
  if (out.kind == Kind::kStorage) {
    return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  }
  http::status status = http::status::forbidden;
  std::string_view key = "ops.login.failed";
  if (out.kind == Kind::kLocked || out.kind == Kind::kThrottled) {
    status = http::status::too_many_requests;
    key = out.kind == Kind::kLocked ? "ops.login.locked" : "ops.login.wait";
  }
  if (out.kind == Kind::kBusy) {
    status = http::status::service_unavailable;
    key = "ops.login.busy";
  }
  Response res = OpsPage(ctx, status, ctx.Tr("ops.login.title"), LoginForm(ctx, ctx.Tr(key)));
  if (out.kind != Kind::kFailed) {
    res.set(http::field::retry_after, std::to_string(std::max<int64_t>(out.retry_after, 1)));
  }
  return res;
}

}  // namespace

Response OpsLoginPage(const PageContext& ctx, bool home) {
  return OpsPage(ctx, home ? http::status::ok : http::status::unauthorized,
                 ctx.Tr("ops.login.title"),
                 LoginForm(ctx, home ? "" : ctx.Tr("ops.login.expired")));
}

void OpsLogin(const RequestContext& rq, const Form& form, Responder respond) {
  const PageContext& ctx = rq.page;
  // The hash runs on OpsAuth's pool; the answer comes from there (ops_auth.h).
  LoginAttempt attempt{std::string(form.GetOr("name")), std::string(form.GetOr("password")),
                       std::string(form.GetOr("code")), rq.client};
  const Catalog* catalog = &ctx.catalog;
  Language lang = ctx.lang;
  std::string page_path = ctx.path;
  rq.env.auth->Login(std::move(attempt),
                     [catalog, lang, page_path, respond = std::move(respond)](LoginOutcome out) {
                       PageContext pc{*catalog, lang, page_path};
                       respond(LoginAnswer(pc, out));
                     });
}

Response OpsLogout(const OpsRequest& r) {
  const AppEnv& env = r.env;
  const OpsSession& s = r.session;
  // Ending a session only takes access away, so it happens even when its audit entry
  // cannot be written; the operator is told.
  env.sessions->Remove(r.session_id);
  if (env.keyring) env.keyring->Lock(r.session_id);
  bool audited = env.operators->Audit(s.operator_id, "logged out", "operator " + s.name).ok();
  Response res = audited ? Redirect("/ops")
                         : ErrorPage(r.ctx, http::status::service_unavailable, "error.storage");
  res.set(http::field::set_cookie, SessionClearCookie());
  return res;
}

}  // namespace tuidang::web
