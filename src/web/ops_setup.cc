// GET/POST /ops/setup?token=: a new (or reset) operator account sets its password and
// enrols its second factor (TOTP, shown as a QR code) through the one-time link that
// `tuidang user add` printed.
#include <qrencode.h>

#include <chrono>
#include <memory>

#include "core/text.h"
#include "core/totp.h"
#include "web/ops_auth.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// Shortest password a set-up accepts.
constexpr size_t kMinPasswordBytes = 12;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string QrSvg(const std::string& text) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return "";
  int w = qr->width;
  std::string path;
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w; ++x) {
      if (qr->data[y * w + x] & 1)
        path += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
    }
  }
  QRcode_free(qr);
  std::string size = std::to_string(w + 8);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size +
         "\" width=\"240\" height=\"240\" role=\"img\" aria-label=\"QR\"><rect width=\"" + size +
         "\" height=\"" + size + "\" fill=\"#fff\"/><path d=\"" + path + "\" fill=\"#000\"/></svg>";
}

// Stores the password's hash once OpsAuth's pool made it, unless the link was used or
// reset meanwhile; answers from the pool's thread, or at once when the pool is full.
void SetPassword(const PageContext& ctx, const AppEnv& env, const Operator& op,
                 std::string_view password, Responder respond) {
  const Catalog* catalog = &ctx.catalog;
  Language lang = ctx.lang;
  std::string page_path = ctx.path;
  OperatorStore* operators = env.operators;
  std::string hash = op.setup_hash;
  auto shared = std::make_shared<Responder>(std::move(respond));
  bool queued = env.auth->HashPassword(
      std::string(password), [catalog, lang, page_path, operators, shared, id = op.id,
                              hash](std::optional<std::string> hashed) {
        PageContext pc{*catalog, lang, page_path};
        auto fresh = operators->GetOperator(id);
        if (!hashed || !fresh) {
          return (*shared)(ErrorPage(pc, http::status::service_unavailable, "error.storage"));
        }
        // The link was used (or reset) meanwhile: nothing is changed.
        if (!fresh->has_value() || !ConstantTimeEquals((*fresh)->setup_hash, hash)) {
          return (*shared)(ErrorPage(pc, http::status::not_found, "ops.setup.invalid"));
        }
        Operator updated = **fresh;
        updated.password_hash = *hashed;
        updated.setup_hash.clear();
        // The account and its audit entry in one transaction: both or neither.
        if (!operators->UpdateOperatorAudited(
                updated, {0, updated.id, "", "set up", "operator " + updated.name})) {
          return (*shared)(ErrorPage(pc, http::status::service_unavailable, "error.storage"));
        }
        (*shared)(OpsPage(pc, http::status::ok, pc.Tr("ops.setup.title"),
                          "<h1>" + pc.TrHtml("ops.setup.done") + "</h1><p><a href=\"/ops\">" +
                              pc.TrHtml("ops.login.title") + "</a></p>"));
      });
  if (!queued) {
    Response res = ErrorPage(ctx, http::status::service_unavailable, "ops.login.busy");
    res.set(http::field::retry_after, std::to_string(kHashBusyRetrySeconds));
    (*shared)(std::move(res));
  }
}

std::string SetupForm(const PageContext& ctx, const Operator& op, const std::string& token,
                      const std::string& error) {
  std::string uri = OtpauthUri("tuidang", op.name, op.totp_secret);
  std::string b = "<h1>" + ctx.TrHtml("ops.setup.title") + "</h1><p>" +
                  HtmlEscape(ctx.Format("ops.setup.intro", op.name)) + "</p>";
  if (!error.empty()) b += "<p class=\"error\" id=\"error-setup\">" + HtmlEscape(error) + "</p>";
  b += "<div class=\"qr\">" + QrSvg(uri) + "</div><p><code id=\"otpauth\">" + HtmlEscape(uri) +
       "</code></p>";
  b +=
      "<form method=\"post\" action=\"/ops/setup\"><input type=\"hidden\" name=\"token\" value=\"" +
      HtmlEscape(token) + "\"><label for=\"password\">" + ctx.TrHtml("ops.setup.password") +
      "</label><input type=\"password\" id=\"password\" name=\"password\" minlength=\"12\" "
      "autocomplete=\"new-password\" required><label for=\"password2\">" +
      ctx.TrHtml("ops.setup.password2") +
      "</label><input type=\"password\" id=\"password2\" "
      "name=\"password2\" autocomplete=\"new-password\" required><label for=\"code\">" +
      ctx.TrHtml("ops.code") +
      "</label><input type=\"text\" id=\"code\" name=\"code\" "
      "inputmode=\"numeric\" maxlength=\"6\" required><button class=\"primary\" type=\"submit\">" +
      ctx.TrHtml("ops.setup.button") + "</button></form>";
  return b;
}

}  // namespace

void OpsSetup(const RequestContext& rq, const Form& form, Responder respond) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  bool post = rq.post();
  std::string token(post ? form.GetOr("token") : rq.query.GetOr("token"));
  std::optional<Operator> op = OperatorOfSetupToken(*env.operators, token);
  if (!op) return respond(ErrorPage(ctx, http::status::not_found, "ops.setup.invalid"));
  std::string error;
  if (post) {
    std::string_view password = form.GetOr("password");
    if (password.size() < kMinPasswordBytes) {
      error = ctx.Tr("ops.setup.short");
    } else if (password != form.GetOr("password2")) {
      error = ctx.Tr("ops.setup.mismatch");
    } else if (auto step = TotpStep(op->totp_secret, form.GetOr("code"), Now()); !step) {
      error = ctx.Tr("ops.setup.code");
    } else {
      // The code that set the account up does not log in again (a code is used once).
      (void)env.auth->ClaimTotp(op->id, *step);
      // Argon2id runs on OpsAuth's pool, not on this I/O thread; the answer comes from there.
      return SetPassword(ctx, env, *op, password, std::move(respond));
    }
  }
  respond(OpsPage(ctx, error.empty() ? http::status::ok : http::status::bad_request,
                  ctx.Tr("ops.setup.title"), SetupForm(ctx, *op, token, error)));
}

}  // namespace tuidang::web
