// The operators' console under /ops (issue 4): login with password and TOTP, set-up of a
// new account, statements entered for every channel, the moderation queue, withdrawals,
// the audit trail. Every page is no-store; every form carries the session's CSRF token.
#include <sodium.h>

#include <algorithm>
#include <map>
#include <thread>

#include <qrencode.h>

#include "core/text.h"
#include "core/totp.h"
#include "web/ops_auth.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

constexpr std::string_view kCookie = "tuidang_ops";
// Further persons an operator can enter on one form (a family, an association).
constexpr size_t kOpsRows = 10;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> CookieValue(const Request& req, std::string_view name) {
  std::string_view header = req[http::field::cookie];
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.starts_with(name) && item.size() > name.size() && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

Response Page(const PageContext& ctx, http::status status, std::string_view title,
              const std::string& body) {
  return OpsPage(ctx, status, title, body);
}

std::string Csrf(const OpsSession& s) { return OpsCsrf(s); }

std::string QrSvg(const std::string& text) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return "";
  int w = qr->width;
  std::string path;
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w; ++x) {
      if (qr->data[y * w + x] & 1) path += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
    }
  }
  QRcode_free(qr);
  std::string size = std::to_string(w + 8);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size +
         "\" width=\"240\" height=\"240\" role=\"img\" aria-label=\"QR\"><rect width=\"" + size +
         "\" height=\"" + size + "\" fill=\"#fff\"/><path d=\"" + path + "\" fill=\"#000\"/></svg>";
}

std::string LoginForm(const PageContext& ctx, const std::string& error) {
  std::string b = "<h1>" + ctx.TrHtml("ops.login.title") + "</h1>";
  if (!error.empty()) b += "<p class=\"error\" id=\"error-login\">" + HtmlEscape(error) + "</p>";
  b += "<form method=\"post\" action=\"/ops/login\"><label for=\"name\">" + ctx.TrHtml("ops.name") +
       "</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>"
       "<label for=\"password\">" + ctx.TrHtml("ops.password") +
       "</label><input type=\"password\" id=\"password\" name=\"password\" "
       "autocomplete=\"current-password\" required><label for=\"code\">" + ctx.TrHtml("ops.code") +
       "</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
       "autocomplete=\"one-time-code\" maxlength=\"6\" required><button class=\"primary\" "
       "type=\"submit\">" + ctx.TrHtml("ops.login.button") + "</button></form>";
  return b;
}

// The answer to a login attempt (OpsAuth::Login). The refusals say nothing about whether
// the name exists: OpsAuth answers alike for every name.
Response LoginAnswer(const PageContext& ctx, const LoginOutcome& out) {
  using Kind = LoginOutcome::Kind;
  if (out.kind == Kind::kLoggedIn) {
    Response res = Redirect("/ops");
    res.set(http::field::set_cookie, std::string(kCookie) + "=" + out.session_id +
                                         "; Path=/ops; Secure; HttpOnly; SameSite=Strict");
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
  Response res = Page(ctx, status, ctx.Tr("ops.login.title"), LoginForm(ctx, ctx.Tr(key)));
  if (out.kind != Kind::kFailed) {
    res.set(http::field::retry_after, std::to_string(std::max<int64_t>(out.retry_after, 1)));
  }
  return res;
}

bool Allows(const OpsSession& s, Role need) { return OpsAllows(s, need); }

// The channels an operator enters, with what each form asks for.
constexpr Channel kOpsChannels[] = {Channel::kPhone, Channel::kLetter, Channel::kFax,
                                    Channel::kEmail, Channel::kPoster, Channel::kSheet};

}  // namespace

std::optional<std::string> OpsSessionCookie(const Request& req) { return CookieValue(req, kCookie); }

// The console's request handling; `path` starts with "/ops".
void OpsHandle(const PageContext& ctx, const AppEnv& env, const Request& req,
               const std::string& path, const Form& query,
               const std::optional<safety::ClientKey>& client, Responder respond) {
  if (!env.operators || !env.sessions || !env.moderation || !env.auth) {
    return respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
  }
  bool post = req.method() == http::verb::post;
  std::optional<Form> form;
  std::vector<MultipartPart> files;  // a multipart POST's files (uploads, attachments)
  if (post) {
    if (auto boundary = MultipartBoundary(req[http::field::content_type])) {
      // A truncated or malformed upload is refused whole: nothing of it is used.
      auto parts = ParseMultipart(req.body(), *boundary);
      if (!parts) return respond(ErrorPage(ctx, http::status::bad_request, "ops.upload.malformed"));
      form = FieldsOf(*parts);
      for (auto& p : *parts) {
        if (p.filename) files.push_back(std::move(p));
      }
    } else {
      auto f = Form::Parse(req.body());
      if (!f) return respond(ErrorPage(ctx, http::status::bad_request, "error.form_encoding"));
      form = std::move(*f);
    }
  }
  std::optional<std::string> sid = CookieValue(req, kCookie);
  std::optional<OpsSession> session;
  if (sid) session = env.auth->CurrentSession(*sid);
  // A session that ended (idle timeout, its operator disabled or reset) takes its unlocked
  // office key with it.
  if (sid && !session && env.keyring) env.keyring->Lock(*sid);

  // Pages without a session: set-up and login.
  if (path == "/ops/setup") {
    std::string token(post ? form->GetOr("token") : query.GetOr("token"));
    std::optional<Operator> op;
    auto all = env.operators->ListOperators();
    std::string hash(crypto_generichash_BYTES, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                       reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    if (all) {
      for (auto& o : *all) {
        if (!o.setup_hash.empty() && ConstantTimeEquals(o.setup_hash, hash)) op = o;
      }
    }
    if (token.empty() || !op) return respond(ErrorPage(ctx, http::status::not_found, "ops.setup.invalid"));
    std::string error;
    if (post) {
      std::string_view password = form->GetOr("password");
      if (password.size() < 12) {
        error = ctx.Tr("ops.setup.short");
      } else if (password != form->GetOr("password2")) {
        error = ctx.Tr("ops.setup.mismatch");
      } else if (auto step = TotpStep(op->totp_secret, form->GetOr("code"), Now()); !step) {
        error = ctx.Tr("ops.setup.code");
      } else {
        // The code that set the account up does not log in again (a code is used once).
        (void)env.auth->ClaimTotp(op->id, *step);
        // Argon2id runs on OpsAuth's pool, not on this I/O thread; the answer comes from there.
        const Catalog* catalog = &ctx.catalog;
        Language lang = ctx.lang;
        std::string page_path = ctx.path;
        OperatorStore* operators = env.operators;
        auto shared = std::make_shared<Responder>(std::move(respond));
        bool queued = env.auth->HashPassword(
            std::string(password), [catalog, lang, page_path, operators, shared, id = op->id,
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
              if (!operators->UpdateOperator(updated)) {
                return (*shared)(ErrorPage(pc, http::status::service_unavailable, "error.storage"));
              }
              (void)operators->Audit(updated.id, "set up", "operator " + updated.name);
              (*shared)(Page(pc, http::status::ok, pc.Tr("ops.setup.title"),
                             "<h1>" + pc.TrHtml("ops.setup.done") + "</h1><p><a href=\"/ops\">" +
                                 pc.TrHtml("ops.login.title") + "</a></p>"));
            });
        if (!queued) {
          Response res = ErrorPage(ctx, http::status::service_unavailable, "ops.login.busy");
          res.set(http::field::retry_after, std::to_string(kHashBusyRetrySeconds));
          (*shared)(std::move(res));
        }
        return;
      }
    }
    std::string uri = OtpauthUri("tuidang", op->name, op->totp_secret);
    std::string b = "<h1>" + ctx.TrHtml("ops.setup.title") + "</h1><p>" +
                    HtmlEscape(ctx.Format("ops.setup.intro", op->name)) + "</p>";
    if (!error.empty()) b += "<p class=\"error\" id=\"error-setup\">" + HtmlEscape(error) + "</p>";
    b += "<div class=\"qr\">" + QrSvg(uri) + "</div><p><code id=\"otpauth\">" + HtmlEscape(uri) +
         "</code></p>";
    b += "<form method=\"post\" action=\"/ops/setup\"><input type=\"hidden\" name=\"token\" value=\"" +
         HtmlEscape(token) + "\"><label for=\"password\">" + ctx.TrHtml("ops.setup.password") +
         "</label><input type=\"password\" id=\"password\" name=\"password\" minlength=\"12\" "
         "autocomplete=\"new-password\" required><label for=\"password2\">" +
         ctx.TrHtml("ops.setup.password2") + "</label><input type=\"password\" id=\"password2\" "
         "name=\"password2\" autocomplete=\"new-password\" required><label for=\"code\">" +
         ctx.TrHtml("ops.code") + "</label><input type=\"text\" id=\"code\" name=\"code\" "
         "inputmode=\"numeric\" maxlength=\"6\" required><button class=\"primary\" type=\"submit\">" +
         ctx.TrHtml("ops.setup.button") + "</button></form>";
    return respond(Page(ctx, error.empty() ? http::status::ok : http::status::bad_request,
                        ctx.Tr("ops.setup.title"), b));
  }

  if (path == "/ops/login" && post) {
    // The hash runs on OpsAuth's pool; the answer comes from there (ops_auth.h).
    LoginAttempt attempt{std::string(form->GetOr("name")), std::string(form->GetOr("password")),
                         std::string(form->GetOr("code")), client};
    const Catalog* catalog = &ctx.catalog;
    Language lang = ctx.lang;
    std::string page_path = ctx.path;
    return env.auth->Login(std::move(attempt), [catalog, lang, page_path,
                                                respond = std::move(respond)](LoginOutcome out) {
      PageContext pc{*catalog, lang, page_path};
      respond(LoginAnswer(pc, out));
    });
  }

  if (!session) {
    return respond(Page(ctx, path == "/ops" ? http::status::ok : http::status::unauthorized,
                        ctx.Tr("ops.login.title"), LoginForm(ctx, path == "/ops" ? "" : ctx.Tr("ops.login.expired"))));
  }
  const OpsSession& s = *session;
  if (post && !ConstantTimeEquals(form->GetOr("csrf"), s.csrf)) {
    return respond(ErrorPage(ctx, http::status::forbidden, "ops.csrf"));
  }
  // Every action (a POST) counts against the operator's limit (operator_actions_per_minute):
  // a stolen session or a runaway script cannot enter or reject thousands.
  if (post && env.guard && path != "/ops/logout") {
    safety::Admission a = env.guard->AdmitOperator(s.name);
    if (!a.allowed) {
      Response res = ErrorPage(ctx, http::status::too_many_requests, "ops.rate_limited");
      res.set(http::field::retry_after, std::to_string(std::max<int64_t>(a.retry_after, 1)));
      return respond(std::move(res));
    }
  }

  if (path == "/ops/logout" && post) {
    env.sessions->Remove(*sid);
    if (env.keyring) env.keyring->Lock(*sid);
    (void)env.operators->Audit(s.operator_id, "logged out", "operator " + s.name);  // audit: made transactional by the writer branch
    Response res = Redirect("/ops");
    res.set(http::field::set_cookie, std::string(kCookie) + "=; Path=/ops; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    return respond(std::move(res));
  }

  if (path == "/ops") {
    std::string b = "<h1>" + ctx.TrHtml("ops.home.title") + "</h1><p id=\"whoami\">" +
                    HtmlEscape(ctx.Format("ops.home.whoami", s.name,
                                          ctx.Tr("ops.role." + std::string(RoleCode(s.role))))) +
                    "</p><h2>" + ctx.TrHtml("ops.enter.title") + "</h2><ul>";
    for (Channel c : kOpsChannels) {
      std::string code(ChannelCode(c));
      b += "<li><a href=\"/ops/enter?channel=" + code + "\">" + ctx.TrHtml("channel." + code) + "</a></li>";
    }
    b += "</ul><ul><li><a href=\"/ops/import\">" + ctx.TrHtml("ops.import.title") + "</a></li>";
    if (Allows(s, Role::kModerator)) {
      b += "<li><a href=\"/ops/queue\">" + ctx.TrHtml("ops.queue.title") + "</a></li>";
      b += "<li><a href=\"/ops/withdraw\">" + ctx.TrHtml("ops.withdraw.title") + "</a></li>";
    }
    if (Allows(s, Role::kAdmin)) {
      b += "<li><a href=\"/ops/audit\">" + ctx.TrHtml("ops.audit.title") + "</a></li>";
      b += "<li><a href=\"/ops/unlock\">" + ctx.TrHtml("ops.unlock.title") + "</a></li>";
      b += "<li><a href=\"/ops/private\">" + ctx.TrHtml("ops.private.title") + "</a></li>";
    }
    b += "</ul><form method=\"post\" action=\"/ops/logout\">" + Csrf(s) +
         "<button type=\"submit\">" + ctx.TrHtml("ops.logout") + "</button></form>";
    return respond(Page(ctx, http::status::ok, ctx.Tr("ops.home.title"), b));
  }

  if (path == "/ops/enter") {
    std::string_view channel_code = post ? form->GetOr("channel") : query.GetOr("channel");
    auto channel = ParseChannel(channel_code);
    if (!channel || *channel == Channel::kWeb) {
      return respond(ErrorPage(ctx, http::status::bad_request, "ops.enter.channel"));
    }
    std::string code(ChannelCode(*channel));
    std::map<std::string, std::string> errors;
    StatementDraft draft;
    std::string consent, place;
    if (post) {
      auto read_person = [&](const std::string& prefix) {
        PersonDraft p;
        p.name = std::string(form->GetOr(prefix + "name"));
        p.real_name = form->GetOr(prefix + "kind") == "real";
        for (auto o : form->All(prefix + "org")) p.organisations.emplace_back(o);
        return p;
      };
      draft.declarant = read_person("");
      std::vector<size_t> row_of;
      for (size_t i = 1; i <= kOpsRows; ++i) {
        PersonDraft p = read_person("p" + std::to_string(i) + "_");
        if (p.name.empty() && p.organisations.empty()) continue;
        draft.others.push_back(std::move(p));
        row_of.push_back(i);
      }
      draft.region = std::string(form->GetOr("region"));
      draft.occupation = std::string(form->GetOr("occupation"));
      draft.text = std::string(form->GetOr("text"));
      consent = std::string(TrimSpace(IsValidUtf8(form->GetOr("consent")) ? form->GetOr("consent") : ""));
      place = std::string(TrimSpace(IsValidUtf8(form->GetOr("place")) ? form->GetOr("place") : ""));
      Submission sub;
      for (const auto& e : ValidateStatement(draft, &sub.statement)) {
        std::string prefix = e.person == 0 ? "" : "p" + std::to_string(row_of[e.person - 1]) + "_";
        std::string field = e.field == "organisations" ? "org" : e.field;
        errors[prefix + field] = ctx.Tr("error." + e.field + "." + std::string(ErrorCodeName(e.code)));
      }
      if (*channel == Channel::kPhone && consent.empty()) errors["consent"] = ctx.Tr("ops.enter.consent_required");
      if (*channel == Channel::kPoster && place.empty()) errors["place"] = ctx.Tr("ops.enter.place_required");
      if (CountCodePoints(consent) > 500 || CountCodePoints(place) > 200 ||
          HasForbiddenCharacter(consent, TextKind::kSingleLine) || HasForbiddenCharacter(place, TextKind::kSingleLine)) {
        errors["consent"] = ctx.Tr("error.text.invalid_characters");
      }
      if (TakesAttachments(*channel)) {
        if (auto e = SealAttachments(env, files, &sub); !e.empty()) errors["attachment"] = ctx.Tr(e);
      } else {
        for (const auto& f : files) {
          if (!f.data.empty()) errors["attachment"] = ctx.Tr("ops.attach.not_here");
        }
      }
      if (errors.empty()) {
        sub.statement.channel = *channel;
        sub.statement.language = ctx.lang;
        sub.statement.operator_id = s.operator_id;
        sub.statement.consent = consent;
        sub.statement.place = place;
        sub.receipt_code = NewReceiptCode();
        for (const auto& p : sub.statement.persons) sub.folded_names.push_back(FoldName(p.name));
        sub.publish = env.options.PublishesAtOnce(*channel);
        auto shared = std::make_shared<Responder>(std::move(respond));
        const Catalog* catalog = &ctx.catalog;
        Language lang = ctx.lang;
        OperatorStore* ops = env.operators;
        int64_t operator_id = s.operator_id;
        bool queued = env.sequencer->Submit(
            std::move(sub), [shared, catalog, lang, ops, operator_id](const Status& st,
                                                                    const Submission& done,
                                                                    const Committed& c) {
              PageContext pc{*catalog, lang, "/ops"};
              if (!st) return (*shared)(ErrorPage(pc, http::status::service_unavailable, "error.overloaded"));
              std::string what = c.number ? "statement " + std::to_string(*c.number)
                                          : "held statement " + std::to_string(c.id);
              size_t attachments = std::count_if(done.sealed.begin(), done.sealed.end(),
                                                 [](const auto& f) { return f.first.starts_with("attachment."); });
              if (attachments > 0) what += " (" + std::to_string(attachments) + " sealed attachments)";
              (void)ops->Audit(operator_id, "entered", what);  // audit: made transactional by the writer branch
              std::string b = "<h1>" + pc.TrHtml("ops.entered.title") + "</h1><p id=\"entered\">" +
                              HtmlEscape(c.number ? pc.Format("ops.entered.published", *c.number)
                                                  : pc.Tr("ops.entered.held")) +
                              "</p><p>" + pc.TrHtml("receipt.code") + " <code class=\"receipt\">" +
                              FormatReceiptCode(done.receipt_code) + "</code></p><p>" +
                              pc.TrHtml("ops.entered.receipt_hint") + "</p><p><a href=\"/ops/enter?channel=" +
                              std::string(ChannelCode(done.statement.channel)) + "\">" +
                              pc.TrHtml("ops.entered.another") + "</a> · <a href=\"/ops\">" +
                              pc.TrHtml("ops.home.title") + "</a></p>";
              (*shared)(HtmlResponse(http::status::ok,
                                     Layout(pc, pc.Tr("ops.entered.title"), b), Caching::kNoStore));
            });
        if (!queued) (*shared)(ErrorPage(ctx, http::status::service_unavailable, "error.overloaded"));
        return;
      }
    }
    // The form, with what was typed and the errors beside their fields.
    auto err = [&](const std::string& f) {
      auto it = errors.find(f);
      return it == errors.end() ? std::string()
                                : "<p class=\"error\" id=\"error-" + f + "\">" + HtmlEscape(it->second) + "</p>";
    };
    auto val = [&](const std::string& f) {
      std::string_view v = post ? form->GetOr(f) : std::string_view();
      return IsValidUtf8(v) ? HtmlEscape(v) : std::string();
    };
    auto person = [&](const std::string& prefix, bool required) {
      std::string p = "<div class=\"field\"><label for=\"" + prefix + "name\">" +
                      ctx.TrHtml(prefix.empty() ? "form.name" : "form.person_name") + "</label>" +
                      err(prefix + "name") + "<input type=\"text\" id=\"" + prefix + "name\" name=\"" +
                      prefix + "name\" value=\"" + val(prefix + "name") + "\"" + (required ? " required" : "") +
                      "><label class=\"choice\"><input type=\"radio\" name=\"" + prefix +
                      "kind\" value=\"pseudonym\" checked> " + ctx.TrHtml("form.pseudonym") +
                      "</label><label class=\"choice\"><input type=\"radio\" name=\"" + prefix +
                      "kind\" value=\"real\"> " + ctx.TrHtml("form.real_name") + "</label>" + err(prefix + "org");
      for (Organisation o : kOrganisationList) {
        std::string oc(OrganisationCode(o));
        bool checked = false;
        if (post) for (auto v : form->All(prefix + "org")) checked |= v == oc;
        p += "<label class=\"choice\"><input type=\"checkbox\" name=\"" + prefix + "org\" value=\"" + oc +
             "\"" + (checked ? " checked" : "") + "> " + ctx.TrHtml("org." + oc) + "</label>";
      }
      return p + "</div>";
    };
    std::string b = "<h1>" + HtmlEscape(ctx.Format("ops.enter.heading", ctx.Tr("channel." + code))) + "</h1>";
    if (!errors.empty()) b += "<p class=\"error\" id=\"error-form\">" + ctx.TrHtml("error.form_has_errors") + "</p>";
    b += std::string("<form method=\"post\" action=\"/ops/enter\"") +
         (TakesAttachments(*channel) ? " enctype=\"multipart/form-data\"" : "") + ">" + Csrf(s) +
         "<input type=\"hidden\" name=\"channel\" value=\"" + code + "\">";
    b += person("", true);
    if (*channel == Channel::kPhone) {
      b += "<div class=\"field\"><label for=\"consent\">" + ctx.TrHtml("ops.enter.consent") + "</label>" +
           err("consent") + "<input type=\"text\" id=\"consent\" name=\"consent\" value=\"" + val("consent") +
           "\" placeholder=\"" + HtmlEscape(ctx.Format("ops.enter.consent_example", FormatDay(Today()))) +
           "\" required></div>";
    }
    if (*channel == Channel::kPoster) {
      b += "<div class=\"field\"><label for=\"place\">" + ctx.TrHtml("ops.enter.place") + "</label>" +
           err("place") + "<input type=\"text\" id=\"place\" name=\"place\" value=\"" + val("place") +
           "\" required></div>";
    }
    b += "<div class=\"field\"><label for=\"region\">" + ctx.TrHtml("form.region") + "</label>" + err("region") +
         "<select id=\"region\" name=\"region\"><option value=\"\">" + ctx.TrHtml("form.not_given") + "</option>";
    for (auto r : RegionCodes()) {
      std::string rc(r);
      b += "<option value=\"" + rc + "\"" + (post && form->GetOr("region") == rc ? " selected" : "") + ">" +
           ctx.TrHtml("region." + rc) + "</option>";
    }
    b += "</select></div><div class=\"field\"><label for=\"text\">" + ctx.TrHtml("ops.enter.text") +
         "</label>" + err("text") + "<textarea id=\"text\" name=\"text\" rows=\"6\">" + val("text") +
         "</textarea></div>";
    if (TakesAttachments(*channel)) {
      auto e = errors.find("attachment");
      b += AttachmentField(ctx, env, e == errors.end() ? std::string() : e->second);
    }
    b += "<h2>" + ctx.TrHtml("form.others") + "</h2><p class=\"hint\">" +
         ctx.TrHtml("ops.enter.group_hint") + "</p>";
    for (size_t i = 1; i <= kOpsRows; ++i) {
      b += "<fieldset><legend>" + HtmlEscape(ctx.Format("form.person_n", i)) + "</legend>" +
           person("p" + std::to_string(i) + "_", false) + "</fieldset>";
    }
    b += "<p><button class=\"primary\" type=\"submit\">" + ctx.TrHtml("ops.enter.button") + "</button></p></form>";
    return respond(Page(ctx, errors.empty() ? http::status::ok : http::status::bad_request,
                        ctx.Format("ops.enter.heading", ctx.Tr("channel." + code)), b));
  }

  if (path == "/ops/queue" || path == "/ops/withdraw") {
    if (!Allows(s, Role::kModerator)) return respond(ErrorPage(ctx, http::status::forbidden, "ops.forbidden"));
  }
  if (path == "/ops/withdraw") {
    std::string notice;
    if (post) {
      auto number = ParseNumber(form->GetOr("number"));
      auto reason = ParseWithdrawalReason(form->GetOr("reason"));
      if (!number || !reason) {
        notice = ctx.Tr("ops.withdraw.invalid");
      } else if (Status st = env.store->Withdraw(*number, *reason); !st) {
        notice = ctx.Tr("ops.withdraw.not_found");
      } else {
        (void)env.operators->Audit(s.operator_id, "withdrew",
                             "statement " + std::to_string(*number) + " (" + std::string(form->GetOr("reason")) + ")");  // audit: made transactional by the writer branch
        notice = ctx.Format("ops.withdraw.done", *number);
      }
    }
    std::string b = "<h1>" + ctx.TrHtml("ops.withdraw.title") + "</h1>";
    if (!notice.empty()) b += "<p id=\"notice\">" + HtmlEscape(notice) + "</p>";
    b += "<form method=\"post\">" + Csrf(s) + "<label for=\"number\">" + ctx.TrHtml("ops.withdraw.number") +
         "</label><input type=\"text\" id=\"number\" name=\"number\" inputmode=\"numeric\" required><label for=\"reason\">" +
         ctx.TrHtml("ops.withdraw.reason") + "</label><select id=\"reason\" name=\"reason\">";
    for (auto r : {WithdrawalReason::kDanger, WithdrawalReason::kFake, WithdrawalReason::kDuplicate,
                   WithdrawalReason::kDeclarantRequest}) {
      std::string rc(WithdrawalReasonCode(r));
      b += "<option value=\"" + rc + "\">" + ctx.TrHtml("ops.reason." + rc) + "</option>";
    }
    b += "</select><button class=\"primary\" type=\"submit\">" + ctx.TrHtml("ops.withdraw.button") + "</button></form>";
    return respond(Page(ctx, http::status::ok, ctx.Tr("ops.withdraw.title"), b));
  }

  if (path == "/ops/import" || path == "/ops/unlock" || path == "/ops/private" ||
      path == "/ops/private/file" || path == "/ops/queue") {
    static const Form kEmpty;
    OpsRequest r{ctx, env, s, *sid, post, post ? *form : kEmpty, query, files};
    if (path == "/ops/queue") return respond(OpsQueue(r));
    if (path == "/ops/import") return respond(OpsImport(r));
    if (path == "/ops/unlock") return respond(OpsUnlock(r));
    return respond(OpsPrivate(r, path == "/ops/private/file"));
  }

  if (path == "/ops/audit") {
    if (!Allows(s, Role::kAdmin)) return respond(ErrorPage(ctx, http::status::forbidden, "ops.forbidden"));
    auto trail = env.operators->AuditTrail(500);
    if (!trail) return respond(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
    std::string b = "<h1>" + ctx.TrHtml("ops.audit.title") + "</h1><table id=\"audit\"><tbody>";
    for (const auto& e : *trail) {
      b += "<tr><td>" + FormatDay(e.day) + "</td><td>" + HtmlEscape(e.operator_name) + "</td><td>" +
           HtmlEscape(e.action) + "</td><td>" + HtmlEscape(e.object) + "</td></tr>";
    }
    b += "</tbody></table>";
    return respond(Page(ctx, http::status::ok, ctx.Tr("ops.audit.title"), b));
  }
  respond(ErrorPage(ctx, http::status::not_found, "error.not_found"));
}

}  // namespace tuidang::web
