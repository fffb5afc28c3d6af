// The declaration form (GET /submit) and its submission (POST /submit).
#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/receipt.h"
#include "core/text.h"
#include "web/guard_web.h"
#include "web/pages.h"
#include "web/receipt_form.h"

namespace tuidang::web {

namespace {

// Rows a form may ask for: the same limit as the statement's further persons.
constexpr size_t kMaxRows = kMaxFurtherPersons;
// Further-person rows shown on a fresh form.
constexpr size_t kDefaultRows = 0;

struct RowState {
  std::string name;
  bool real_name = false;
  uint8_t orgs = 0;
  std::vector<std::string> unknown_orgs;
  bool unknown_kind = false;  // the pseudonym/real choice had another value
};

// What the user typed, to render the form again, and the errors beside each field.
struct FormState {
  RowState declarant;
  std::string region, occupation, text;
  std::vector<RowState> rows;
  std::map<std::string, std::string> errors;  // form field -> message
  std::string general_error;                  // a message above the form
  std::string contact;                        // sealed contact for follow-up (guard_web.h)
  const AppEnv* env = nullptr;                // for the abuse gate's fields; null: none
  // A declarant's correction of a held statement (receipt_actions.cc) posts this code in the
  // form to /receipt/correct, without the contact and proof-of-work fields; empty: /submit.
  std::string correct_code;
};

bool IsRepeatable(std::string_view name) { return name == "org" || name.ends_with("_org"); }

RowState ReadRow(const Form& f, const std::string& prefix) {
  RowState r;
  r.name = std::string(f.GetOr(prefix + "name"));
  std::string_view kind = f.GetOr(prefix.empty() ? "name_kind" : prefix + "kind", "pseudonym");
  r.real_name = kind == "real";
  r.unknown_kind = kind != "real" && kind != "pseudonym";
  std::string orgs_field = prefix.empty() ? "org" : prefix + "org";
  for (auto v : f.All(orgs_field)) {
    if (auto o = ParseOrganisation(v)) r.orgs |= *o;
    else r.unknown_orgs.emplace_back(v);
  }
  return r;
}

PersonDraft ToDraft(const RowState& r) {
  PersonDraft d{r.name, r.real_name, {}};
  for (Organisation o : kOrganisationList) {
    if (r.orgs & o) d.organisations.emplace_back(OrganisationCode(o));
  }
  for (const auto& u : r.unknown_orgs) d.organisations.push_back(u);
  return d;
}

std::string RowPrefix(size_t row) { return row == 0 ? "" : "p" + std::to_string(row) + "_"; }

// Text that may not be valid UTF-8 made safe to show again in a form field.
std::string Shown(std::string_view s) { return IsValidUtf8(s) ? HtmlEscape(s) : std::string(); }

void AppendError(const FormState& st, const std::string& field, std::string* out) {
  auto it = st.errors.find(field);
  if (it == st.errors.end()) return;
  *out += "<p class=\"error\" id=\"error-" + field + "\">";
  AppendHtmlEscaped(out, it->second);
  *out += "</p>";
}

// The attributes that tie a control to the errors of `fields` shown above it (for screen
// readers: aria-describedby names the messages, aria-invalid marks the control).
std::string Described(const FormState& st, std::initializer_list<std::string_view> fields) {
  std::string ids;
  for (std::string_view f : fields) {
    if (!st.errors.contains(std::string(f))) continue;
    if (!ids.empty()) ids += ' ';
    ids += "error-" + std::string(f);
  }
  if (ids.empty()) return {};
  return " aria-invalid=\"true\" aria-describedby=\"" + ids + "\"";
}

// The id of the control an error of form field `field` sends the reader to, from the
// error summary: the text box, the first choice of a group, or the message itself.
std::string ControlId(const std::string& field) {
  if (field == "org" || field.ends_with("_org")) {
    return field + "-" + std::string(OrganisationCode(kOrganisationList[0]));
  }
  if (field == "name_kind" || field.ends_with("_kind")) return field + "-pseudonym";
  if (field == "rows") return "error-rows";
  return field;
}

// Where a field comes in the form, so that the summary lists errors in reading order:
// the declarant, region, occupation, text, the further persons' rows, the contact.
std::pair<int, std::string> FieldOrder(const std::string& field) {
  static constexpr std::string_view kOrder[] = {"name",       "name_kind", "org", "region",
                                                "occupation", "text",      "rows"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (field == kOrder[i]) return {static_cast<int>(i), field};
  }
  if (field == "contact") return {1 << 30, field};
  // "p<row>_<name>": after the shared fields, by row then by the field's place in a row.
  int row = std::atoi(field.c_str() + 1);
  std::string_view rest = std::string_view(field).substr(field.find('_') + 1);
  int within = rest == "name" ? 0 : rest == "kind" ? 1 : 2;
  return {100 + row * 3 + within, field};
}

// The summary above the form: what is wrong, each message a link to its field. It takes
// the focus when the page loads (autofocus, no script needed), so that a screen reader
// reads it first and a keyboard user starts from it.
void AppendErrorSummary(const PageContext& ctx, const FormState& st, std::string* out) {
  if (st.errors.empty() && st.general_error.empty()) return;
  *out += "<div class=\"errors\" id=\"error-form\" role=\"alert\" tabindex=\"-1\" autofocus><p>";
  AppendHtmlEscaped(out,
                    st.general_error.empty() ? ctx.Tr("error.form_has_errors") : st.general_error);
  *out += "</p>";
  if (!st.errors.empty()) {
    std::vector<std::string> fields;
    for (const auto& [field, message] : st.errors) fields.push_back(field);
    std::sort(fields.begin(), fields.end(), [](const std::string& a, const std::string& b) {
      return FieldOrder(a) < FieldOrder(b);
    });
    *out += "<ul>";
    for (const std::string& field : fields) {
      *out += "<li><a href=\"#" + ControlId(field) + "\">";
      AppendHtmlEscaped(out, st.errors.at(field));
      *out += "</a></li>";
    }
    *out += "</ul>";
  }
  *out += "</div>";
}

void AppendPersonFields(const PageContext& ctx, const FormState& st, size_t row, const RowState& r,
                        std::string* out) {
  std::string p = RowPrefix(row);
  std::string name_id = p + "name";
  std::string kind_field = row == 0 ? "name_kind" : p + "kind";
  std::string org_field = row == 0 ? "org" : p + "org";
  *out += "<div class=\"field\"><label for=\"" + name_id + "\">" +
          ctx.TrHtml(row == 0 ? "form.name" : "form.person_name") + "</label>";
  AppendError(st, name_id, out);
  AppendError(st, kind_field, out);
  *out += "<input type=\"text\" id=\"" + name_id + "\" name=\"" + name_id + "\" maxlength=\"" +
          std::to_string(kMaxNameChars) + "\" autocomplete=\"off\"" +
          Described(st, {name_id, kind_field}) + " value=\"" + Shown(r.name) + "\"" +
          (row == 0 ? " required" : "") + ">";
  *out += "<div><label class=\"choice\"><input type=\"radio\" id=\"" + kind_field +
          "-pseudonym\" name=\"" + kind_field + "\" value=\"pseudonym\"" +
          (r.real_name ? "" : " checked") + Described(st, {kind_field}) + "> " +
          ctx.TrHtml("form.pseudonym") +
          "</label><label class=\"choice\"><input type=\"radio\" name=\"" + kind_field +
          "\" value=\"real\"" + (r.real_name ? " checked" : "") + Described(st, {kind_field}) +
          "> " + ctx.TrHtml("form.real_name") + "</label></div></div>";
  std::string org_error = Described(st, {org_field});
  *out += "<fieldset" + org_error + "><legend>" + ctx.TrHtml("form.organisations") + "</legend>";
  AppendError(st, org_field, out);
  for (Organisation o : kOrganisationList) {
    std::string code(OrganisationCode(o));
    *out += "<label class=\"choice\"><input type=\"checkbox\" id=\"" + org_field + "-" + code +
            "\" name=\"" + org_field + "\" value=\"" + code + "\"" +
            ((r.orgs & o) ? " checked" : "") + org_error + "> " + ctx.TrHtml("org.long." + code) +
            "</label>";
  }
  *out += "</fieldset>";
}

void AppendSelect(const PageContext& ctx, const FormState& st, const std::string& field,
                  std::span<const std::string_view> codes, const std::string& current,
                  std::string* out) {
  *out += "<div class=\"field\"><label for=\"" + field + "\">" + ctx.TrHtml("form." + field) +
          "</label>";
  AppendError(st, field, out);
  *out += "<select id=\"" + field + "\" name=\"" + field + "\"" + Described(st, {field}) +
          "><option value=\"\">" + ctx.TrHtml("form.not_given") + "</option>";
  for (std::string_view code : codes) {
    std::string c(code);
    *out += "<option value=\"" + c + "\"" + (current == c ? " selected" : "") + ">" +
            ctx.TrHtml(field + "." + c) + "</option>";
  }
  *out += "</select></div>";
}

// The declaration's pages (form, preview, receipt) carry their style sheet and icon
// inline: PageContext::self_contained says why.
PageContext SelfContained(const PageContext& ctx) {
  PageContext c = ctx;
  c.self_contained = true;
  return c;
}

Response RenderForm(const PageContext& ctx, const FormState& st, http::status status) {
  std::string b;
  bool correcting = !st.correct_code.empty();
  b += "<h1>" + ctx.TrHtml(correcting ? "correct.title" : "form.title") + "</h1>";
  b += "<p class=\"hint\">" + ctx.TrHtml(correcting ? "correct.intro" : "form.intro") + "</p>";
  AppendErrorSummary(ctx, st, &b);
  b += "<form method=\"post\" action=\"" +
       ctx.LiveHref(correcting ? "/receipt/correct" : "/submit") + "\" accept-charset=\"UTF-8\"";
  if (st.env && st.env->guard && !correcting)
    b += " data-pow=\"" + ctx.TrHtml("form.pow_wait") + "\"";
  b += ">";
  if (correcting) {
    // The code rides in the form's body, never in its address (receipt_form.h).
    b += "<input type=\"hidden\" name=\"" + std::string(kReceiptCodeField) + "\" value=\"";
    AppendHtmlEscaped(&b, st.correct_code);
    b += "\"><input type=\"hidden\" name=\"save\" value=\"1\">";
  }
  AppendPersonFields(ctx, st, 0, st.declarant, &b);
  b += "<p class=\"hint\">" + ctx.TrHtml("form.pseudonym_why") + "</p>";
  AppendSelect(ctx, st, "region", RegionCodes(), st.region, &b);
  AppendSelect(ctx, st, "occupation", OccupationCodes(), st.occupation, &b);
  b += "<div class=\"field\"><label for=\"text\">" + ctx.TrHtml("form.text") + "</label>";
  AppendError(st, "text", &b);
  b += "<textarea id=\"text\" name=\"text\" rows=\"5\" maxlength=\"5000\"" +
       Described(st, {"text"}) + ">" + Shown(st.text) + "</textarea></div>";
  b += "<h2>" + ctx.TrHtml("form.others") + "</h2><p class=\"hint\">" +
       ctx.TrHtml("form.others_hint") + "</p>";
  AppendError(st, "rows", &b);
  for (size_t i = 0; i < st.rows.size(); ++i) {
    b += "<fieldset class=\"person\"><legend>" + ctx.Format("form.person_n", i + 1) + "</legend>";
    AppendPersonFields(ctx, st, i + 1, st.rows[i], &b);
    b += "</fieldset>";
  }
  if (st.env && !correcting) {
    auto e = st.errors.find("contact");
    b += SubmitSafetyFields(ctx, *st.env, st.contact, e == st.errors.end() ? "" : e->second);
  }
  b += "<input type=\"hidden\" name=\"rows\" value=\"" + std::to_string(st.rows.size()) + "\">";
  // The statement's own button comes first: browsers press the first submit button of a
  // form when Enter is pressed in a field, and Enter must submit, not add a row.
  // The declaration goes through its preview first (step=preview); a correction is sent
  // as it stands.
  b += "<p class=\"actions\"><button class=\"primary\" type=\"submit\"" +
       std::string(correcting ? "" : " name=\"step\" value=\"preview\"") + ">" +
       ctx.TrHtml(correcting ? "correct.button" : "form.preview") + "</button> ";
  if (st.rows.size() < kMaxRows) {
    b += "<button type=\"submit\" name=\"more\" value=\"1\" formnovalidate>" +
         ctx.TrHtml("form.add_person") + "</button>";
  }
  b += "</p></form>";
  return HtmlResponse(
      status,
      Layout(SelfContained(ctx), ctx.Tr(correcting ? "correct.title" : "form.title"), b,
             correcting ? std::string() : ctx.Tr("meta.submit")),
      Caching::kNoStore);
}

// The form field a validation error belongs to. `row_of` maps further persons (1-based,
// as validated) to their form rows.
std::string FormField(const FieldError& e, const std::vector<size_t>& row_of) {
  if (e.field == "persons") return "rows";
  if (e.person == 0) return e.field == "organisations" ? "org" : e.field;
  std::string p = RowPrefix(row_of[e.person - 1]);
  return e.field == "organisations" ? p + "org" : p + e.field;
}

void AppendHidden(std::string_view name, std::string_view value, std::string* out) {
  *out +=
      "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + Shown(value) + "\">";
}

// What the declarant typed, as hidden fields: the preview's form posts it again, to be
// sent or edited, so that nothing is kept anywhere between the two requests.
void AppendHiddenState(const FormState& st, std::string* out) {
  for (size_t row = 0; row <= st.rows.size(); ++row) {
    const RowState& r = row == 0 ? st.declarant : st.rows[row - 1];
    std::string p = RowPrefix(row);
    AppendHidden(p + "name", r.name, out);
    AppendHidden(row == 0 ? "name_kind" : p + "kind", r.real_name ? "real" : "pseudonym", out);
    for (Organisation o : kOrganisationList) {
      if (r.orgs & o) AppendHidden(row == 0 ? "org" : p + "org", OrganisationCode(o), out);
    }
  }
  AppendHidden("region", st.region, out);
  AppendHidden("occupation", st.occupation, out);
  AppendHidden("text", st.text, out);
  AppendHidden("rows", std::to_string(st.rows.size()), out);
  if (!st.contact.empty()) AppendHidden("contact", st.contact, out);
}

// The preview step (docs/preview.md): `s`, the validated statement, exactly as a day list
// will show it, with the warning against identifying details, and one form that sends it
// or goes back to the form with everything as typed. Nothing is stored. `wait`: seconds
// the no-script token still needs, after a send that came too early (0: none).
Response RenderPreview(const PageContext& ctx, const FormState& st, const Statement& s,
                       const Form& f, int64_t wait) {
  const AppEnv& env = *st.env;
  std::string b = "<h1 id=\"preview-title\">" + ctx.TrHtml("preview.title") + "</h1>";
  if (wait > 0) {
    b += "<div class=\"errors\" id=\"preview-wait\" role=\"alert\" tabindex=\"-1\" "
         "autofocus><p>" +
         HtmlEscape(ctx.Format("preview.wait", wait)) + "</p></div>";
  }
  b += "<p>" + ctx.TrHtml("preview.intro") + "</p>";
  b += "<div class=\"warning\" id=\"identify-warning\"><p>" + ctx.TrHtml("preview.warning") +
       "</p></div>";
  b += "<ol class=\"statements\" id=\"preview\"><li class=\"statement\"><span "
       "class=\"number\">" +
       ctx.TrHtml("preview.number") + "</span> <span class=\"day\">" + ctx.TrHtml("preview.day") +
       "</span>";
  AppendStatementBody(ctx, s, &b);
  b += "</li></ol>";
  if (!st.contact.empty()) {
    b += "<p class=\"hint\" id=\"contact-private\">" + ctx.TrHtml("preview.contact") + "</p>";
  }
  b += "<form method=\"post\" action=\"" + ctx.LiveHref("/submit") + "\" accept-charset=\"UTF-8\"";
  if (env.guard) b += " data-pow=\"" + ctx.TrHtml("form.pow_wait") + "\"";
  b += ">";
  AppendHiddenState(st, &b);
  b += PreviewSafetyFields(ctx, env, f.GetOr("pow_challenge"), f.GetOr("pow_nonce"));
  b += "<p class=\"actions\"><button class=\"primary\" type=\"submit\" name=\"step\" "
       "value=\"send\" id=\"send\">" +
       ctx.TrHtml("preview.send") +
       "</button> <button type=\"submit\" name=\"step\" value=\"edit\" id=\"edit\">" +
       ctx.TrHtml("preview.edit") + "</button></p></form>";
  return HtmlResponse(http::status::ok, Layout(SelfContained(ctx), ctx.Tr("preview.title"), b),
                      Caching::kNoStore);
}

}  // namespace

Response SubmitFormPage(const PageContext& ctx, const AppEnv& env) {
  FormState st;
  st.env = &env;
  st.rows.resize(kDefaultRows);
  return RenderForm(ctx, st, http::status::ok);
}

namespace {

// Reads and validates a posted statement form into *sub. Returns the form to show again
// (with the errors beside their fields, or with one more row) when there is one.
std::optional<Response> ReadStatementForm(const PageContext& ctx, const AppEnv& env, const Form& f,
                                          FormState& st, Submission* sub) {
  auto respond = [](Response r) { return std::optional<Response>(std::move(r)); };
  st.declarant = ReadRow(f, "");
  st.region = std::string(f.GetOr("region"));
  st.occupation = std::string(f.GetOr("occupation"));
  st.text = std::string(f.GetOr("text"));
  size_t rows = 0;
  if (auto r = f.Get("rows")) {
    auto n = ParseNumber(*r);
    if (*r == "0") n = 0;
    if (!n || *n > static_cast<int64_t>(kMaxRows)) {
      st.errors["rows"] = ctx.Tr("error.persons.too_many");
    } else {
      rows = static_cast<size_t>(*n);
    }
  }
  for (size_t i = 1; i <= rows; ++i) st.rows.push_back(ReadRow(f, RowPrefix(i)));
  // The pseudonym/real choice is a form control, not typed text: another value means a
  // forged or damaged form, reported beside the choice.
  for (size_t i = 0; i <= st.rows.size(); ++i) {
    const RowState& r = i == 0 ? st.declarant : st.rows[i - 1];
    if (r.unknown_kind)
      st.errors[i == 0 ? "name_kind" : RowPrefix(i) + "kind"] = ctx.Tr("error.kind.unknown_value");
  }

  if (st.correct_code.empty()) {
    st.contact = std::string(f.GetOr("contact"));
    if (auto e = CheckContact(env, st.contact); !e.empty()) st.errors["contact"] = ctx.Tr(e);
  }

  if (auto dup = f.FirstDuplicate(&IsRepeatable)) {
    st.general_error = ctx.Tr("error.duplicate_field");
    return respond(RenderForm(ctx, st, http::status::bad_request));
  }
  if (f.Get("more")) {
    if (st.rows.size() < kMaxRows) st.rows.emplace_back();
    return respond(RenderForm(ctx, st, http::status::ok));
  }
  // Back from the preview: the form as it was typed, nothing checked or stored.
  if (f.GetOr("step") == "edit") return respond(RenderForm(ctx, st, http::status::ok));
  if (!st.errors.empty()) return respond(RenderForm(ctx, st, http::status::bad_request));

  StatementDraft draft;
  draft.declarant = ToDraft(st.declarant);
  std::vector<size_t> row_of;
  for (size_t i = 0; i < st.rows.size(); ++i) {
    const RowState& r = st.rows[i];
    if (TrimSpace(IsValidUtf8(r.name) ? r.name : "x").empty() && r.orgs == 0 &&
        r.unknown_orgs.empty()) {
      continue;  // an empty row
    }
    draft.others.push_back(ToDraft(r));
    row_of.push_back(i + 1);
  }
  draft.region = st.region;
  draft.occupation = st.occupation;
  draft.text = st.text;

  auto errors = ValidateStatement(draft, &sub->statement);
  if (!errors.empty()) {
    for (const auto& e : errors) {
      std::string field = FormField(e, row_of);
      if (!st.errors.contains(field)) {
        st.errors[field] = ctx.Tr("error." + e.field + "." + std::string(ErrorCodeName(e.code)));
      }
    }
    st.general_error = ctx.Tr("error.form_has_errors");
    return respond(RenderForm(ctx, st, http::status::bad_request));
  }
  return std::nullopt;
}

RowState RowOf(const Person& p) {
  RowState r;
  r.name = p.name;
  r.real_name = p.real_name;
  r.orgs = p.organisations;
  return r;
}

}  // namespace

Response CorrectFormPage(const PageContext& ctx, const AppEnv& env, const std::string& code,
                         const Statement& held) {
  FormState st;
  st.env = &env;
  st.correct_code = code;
  if (!held.persons.empty()) st.declarant = RowOf(held.persons[0]);
  for (size_t i = 1; i < held.persons.size(); ++i) st.rows.push_back(RowOf(held.persons[i]));
  st.region = std::string(RegionCode(held.region));
  st.occupation = std::string(OccupationCode(held.occupation));
  st.text = held.text;
  return RenderForm(ctx, st, http::status::ok);
}

std::optional<Response> ReadCorrection(const PageContext& ctx, const AppEnv& env,
                                       const std::string& code, std::string_view body,
                                       Statement* corrected) {
  FormState st;
  st.env = &env;
  st.correct_code = code;
  auto form = Form::Parse(body);
  if (!form) {
    st.general_error = ctx.Tr("error.form_encoding");
    return RenderForm(ctx, st, http::status::bad_request);
  }
  Submission sub;
  if (auto shown = ReadStatementForm(ctx, env, *form, st, &sub)) return shown;
  *corrected = std::move(sub.statement);
  return std::nullopt;
}

void SubmitPost(const RequestContext& rq, Responder respond) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view body = rq.http.body();
  const std::optional<safety::ClientKey>& client = rq.client;
  FormState st;
  st.env = &env;
  auto form = Form::Parse(body);
  if (!form) {
    st.general_error = ctx.Tr("error.form_encoding");
    return respond(RenderForm(ctx, st, http::status::bad_request));
  }
  const Form& f = *form;
  Submission sub;
  if (auto shown = ReadStatementForm(ctx, env, f, st, &sub)) return respond(std::move(*shown));
  // The form's button asks for the preview; only the preview's own button (step=send)
  // sends. A body without a step (a program, a form of before) is sent as it is.
  if (auto step = f.Get("step"); step && *step != "send") {
    return respond(RenderPreview(ctx, st, sub.statement, f, 0));
  }
  if (int64_t wait = env.guard ? FormTokenWait(f.GetOr("pow_challenge")) : 0; wait > 0) {
    // Sent before the no-script token is valid: the same preview again, which says how
    // long to wait; the token stays unspent.
    return respond(RenderPreview(ctx, st, sub.statement, f, wait));
  }
  intake::Draft draft;
  draft.statement = std::move(sub.statement);
  draft.publish = env.options.publish_at_once;
  draft.batched = env.options.publication_interval_seconds > 0;

  Language lang = ctx.lang;
  const Catalog* catalog = &ctx.catalog;
  const LinkBuilder* links = ctx.links;
  int retry = env.options.retry_after_seconds;
  int64_t batch_minutes = BatchMinutes(env);
  auto overloaded = [catalog, lang, retry]() {
    PageContext c{*catalog, lang, "/submit"};
    Response res = ErrorPage(c, http::status::service_unavailable, "error.overloaded");
    res.set(http::field::retry_after, std::to_string(retry));
    return res;
  };
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  intake::Queueing q = env.intake->Submit(
      std::move(draft), Channel::kWeb, lang,
      intake::SafetyInput{f.GetOr("pow_challenge"), f.GetOr("pow_nonce"), st.contact}, client,
      [shared_respond, catalog, lang, links, batch_minutes, overloaded](
          const Status& status, const Submission& s, const Committed& c) {
        if (!status) return (*shared_respond)(overloaded());
        // The receipt in the answer itself, shown this once: a redirect would put the code in
        // an address, and so in the browser's history.
        PageContext reply{*catalog, lang, "/receipt", links};
        reply.self_contained = true;
        (*shared_respond)(SubmitReply(reply, s.receipt_code,
                                      ReceiptStatus{c.status, c.number, c.day, {}, {}, {}},
                                      batch_minutes, s.hold_reason));
      });
  if (q.kind == intake::Queueing::Kind::kRefused) {
    return (*shared_respond)(Refused(env, lang, false, "/submit", q.refusal));
  }
  if (!q.queued()) (*shared_respond)(overloaded());
}

}  // namespace tuidang::web
