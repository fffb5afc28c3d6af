// GET/POST /ops/enter?channel=: a statement entered by an operator for a channel (phone
// consent, letter, fax, e-mail, a poster seen on a wall, a sheet), with a family or an
// association on one form; letters, faxes and e-mails keep their scans sealed.
#include <algorithm>
#include <map>
#include <memory>

#include "core/text.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// Form field -> message, shown beside the field.
using FieldErrors = std::map<std::string, std::string>;

// Reads the posted form into *sub (validated statement, sealed attachments); returns the
// errors, empty when the statement can be queued.
FieldErrors ReadEntry(const OpsRequest& r, Channel channel, intake::Draft* sub) {
  const PageContext& ctx = r.ctx;
  const Form* form = &r.form;
  FieldErrors errors;
  StatementDraft draft;
  std::string consent, place;
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
  consent =
      std::string(TrimSpace(IsValidUtf8(form->GetOr("consent")) ? form->GetOr("consent") : ""));
  place = std::string(TrimSpace(IsValidUtf8(form->GetOr("place")) ? form->GetOr("place") : ""));
  for (const auto& e : ValidateStatement(draft, &sub->statement)) {
    std::string prefix = e.person == 0 ? "" : "p" + std::to_string(row_of[e.person - 1]) + "_";
    std::string field = e.field == "organisations" ? "org" : e.field;
    errors[prefix + field] = ctx.Tr("error." + e.field + "." + std::string(ErrorCodeName(e.code)));
  }
  if (channel == Channel::kPhone && consent.empty())
    errors["consent"] = ctx.Tr("ops.enter.consent_required");
  if (channel == Channel::kPoster && place.empty())
    errors["place"] = ctx.Tr("ops.enter.place_required");
  if (CountCodePoints(consent) > 500 || CountCodePoints(place) > 200 ||
      HasForbiddenCharacter(consent, TextKind::kSingleLine) ||
      HasForbiddenCharacter(place, TextKind::kSingleLine)) {
    errors["consent"] = ctx.Tr("error.text.invalid_characters");
  }
  if (TakesAttachments(channel)) {
    if (auto e = SealAttachments(r.env, r.files, sub); !e.empty()) errors["attachment"] = ctx.Tr(e);
  } else {
    for (const auto& f : r.files) {
      if (!f.data.empty()) errors["attachment"] = ctx.Tr("ops.attach.not_here");
    }
  }
  sub->statement.consent = consent;
  sub->statement.place = place;
  return errors;
}

// Queues the entered statement; the answer (its receipt code) comes from the sequencer's
// thread once it is durable.
void QueueEntry(const OpsRequest& r, Channel channel, intake::Draft sub, Responder respond) {
  const PageContext& ctx = r.ctx;
  const AppEnv& env = r.env;
  const OpsSession& s = r.session;
  sub.statement.operator_id = s.operator_id;
  sub.publish = env.options.PublishesAtOnce(channel);
  auto shared = std::make_shared<Responder>(std::move(respond));
  const Catalog* catalog = &ctx.catalog;
  Language lang = ctx.lang;
  // The intake writes the operator's "entered" entry in the statement's transaction.
  intake::Queueing q = env.intake->Submit(
      std::move(sub), channel, ctx.lang, std::nullopt, std::nullopt,
      [shared, catalog, lang](const Status& st, const Submission& done, const Committed& c) {
        PageContext pc{*catalog, lang, "/ops"};
        if (!st)
          return (*shared)(ErrorPage(pc, http::status::service_unavailable, "error.overloaded"));
        std::string b = "<h1>" + pc.TrHtml("ops.entered.title") + "</h1><p id=\"entered\">" +
                        HtmlEscape(c.number ? pc.Format("ops.entered.published", *c.number)
                                            : pc.Tr("ops.entered.held")) +
                        "</p><p>" + pc.TrHtml("receipt.code") + " <code class=\"receipt\">" +
                        FormatReceiptCode(done.receipt_code) + "</code></p><p>" +
                        pc.TrHtml("ops.entered.receipt_hint") +
                        "</p><p><a href=\"/ops/enter?channel=" +
                        std::string(ChannelCode(done.statement.channel)) + "\">" +
                        pc.TrHtml("ops.entered.another") + "</a> · <a href=\"/ops\">" +
                        pc.TrHtml("ops.home.title") + "</a></p>";
        (*shared)(HtmlResponse(http::status::ok, Layout(pc, pc.Tr("ops.entered.title"), b),
                               Caching::kNoStore));
      });
  if (!q.queued()) (*shared)(ErrorPage(ctx, http::status::service_unavailable, "error.overloaded"));
}

// The form, with what was typed and the errors beside their fields.
Response EnterForm(const OpsRequest& r, Channel channel, const FieldErrors& errors) {
  const PageContext& ctx = r.ctx;
  bool post = r.post;
  const Form* form = &r.form;
  std::string code(ChannelCode(channel));
  auto err = [&](const std::string& f) {
    auto it = errors.find(f);
    return it == errors.end()
               ? std::string()
               : "<p class=\"error\" id=\"error-" + f + "\">" + HtmlEscape(it->second) + "</p>";
  };
  auto val = [&](const std::string& f) {
    std::string_view v = post ? form->GetOr(f) : std::string_view();
    return IsValidUtf8(v) ? HtmlEscape(v) : std::string();
  };
  auto person = [&](const std::string& prefix, bool required) {
    std::string p =
        "<div class=\"field\"><label for=\"" + prefix + "name\">" +
        ctx.TrHtml(prefix.empty() ? "form.name" : "form.person_name") + "</label>" +
        err(prefix + "name") + "<input type=\"text\" id=\"" + prefix + "name\" name=\"" + prefix +
        "name\" value=\"" + val(prefix + "name") + "\"" + (required ? " required" : "") +
        "><label class=\"choice\"><input type=\"radio\" name=\"" + prefix +
        "kind\" value=\"pseudonym\" checked> " + ctx.TrHtml("form.pseudonym") +
        "</label><label class=\"choice\"><input type=\"radio\" name=\"" + prefix +
        "kind\" value=\"real\"> " + ctx.TrHtml("form.real_name") + "</label>" + err(prefix + "org");
    for (Organisation o : kOrganisationList) {
      std::string oc(OrganisationCode(o));
      bool checked = false;
      if (post)
        for (auto v : form->All(prefix + "org")) checked |= v == oc;
      p += "<label class=\"choice\"><input type=\"checkbox\" name=\"" + prefix + "org\" value=\"" +
           oc + "\"" + (checked ? " checked" : "") + "> " + ctx.TrHtml("org." + oc) + "</label>";
    }
    return p + "</div>";
  };
  std::string b =
      "<h1>" + HtmlEscape(ctx.Format("ops.enter.heading", ctx.Tr("channel." + code))) + "</h1>";
  if (!errors.empty())
    b += "<p class=\"error\" id=\"error-form\">" + ctx.TrHtml("error.form_has_errors") + "</p>";
  b += std::string("<form method=\"post\" action=\"/ops/enter\"") +
       (TakesAttachments(channel) ? " enctype=\"multipart/form-data\"" : "") + ">" +
       OpsCsrf(r.session) + "<input type=\"hidden\" name=\"channel\" value=\"" + code + "\">";
  b += person("", true);
  if (channel == Channel::kPhone) {
    b += "<div class=\"field\"><label for=\"consent\">" + ctx.TrHtml("ops.enter.consent") +
         "</label>" + err("consent") +
         "<input type=\"text\" id=\"consent\" name=\"consent\" value=\"" + val("consent") +
         "\" placeholder=\"" +
         HtmlEscape(ctx.Format("ops.enter.consent_example", FormatDay(Today()))) +
         "\" required></div>";
  }
  if (channel == Channel::kPoster) {
    b += "<div class=\"field\"><label for=\"place\">" + ctx.TrHtml("ops.enter.place") + "</label>" +
         err("place") + "<input type=\"text\" id=\"place\" name=\"place\" value=\"" + val("place") +
         "\" required></div>";
  }
  b += "<div class=\"field\"><label for=\"region\">" + ctx.TrHtml("form.region") + "</label>" +
       err("region") + "<select id=\"region\" name=\"region\"><option value=\"\">" +
       ctx.TrHtml("form.not_given") + "</option>";
  for (auto rg : RegionCodes()) {
    std::string rc(rg);
    b += "<option value=\"" + rc + "\"" + (post && form->GetOr("region") == rc ? " selected" : "") +
         ">" + ctx.TrHtml("region." + rc) + "</option>";
  }
  b += "</select></div><div class=\"field\"><label for=\"text\">" + ctx.TrHtml("ops.enter.text") +
       "</label>" + err("text") + "<textarea id=\"text\" name=\"text\" rows=\"6\">" + val("text") +
       "</textarea></div>";
  if (TakesAttachments(channel)) {
    auto e = errors.find("attachment");
    b += AttachmentField(ctx, r.env, e == errors.end() ? std::string() : e->second);
  }
  b += "<h2>" + ctx.TrHtml("form.others") + "</h2><p class=\"hint\">" +
       ctx.TrHtml("ops.enter.group_hint") + "</p>";
  for (size_t i = 1; i <= kOpsRows; ++i) {
    b += "<fieldset><legend>" + HtmlEscape(ctx.Format("form.person_n", i)) + "</legend>" +
         person("p" + std::to_string(i) + "_", false) + "</fieldset>";
  }
  b += "<p><button class=\"primary\" type=\"submit\">" + ctx.TrHtml("ops.enter.button") +
       "</button></p></form>";
  return OpsPage(ctx, errors.empty() ? http::status::ok : http::status::bad_request,
                 ctx.Format("ops.enter.heading", ctx.Tr("channel." + code)), b);
}

}  // namespace

void OpsEnter(const OpsRequest& r, Responder respond) {
  const PageContext& ctx = r.ctx;
  std::string_view channel_code = r.post ? r.form.GetOr("channel") : r.query.GetOr("channel");
  auto channel = ParseChannel(channel_code);
  if (!channel || *channel == Channel::kWeb) {
    return respond(ErrorPage(ctx, http::status::bad_request, "ops.enter.channel"));
  }
  FieldErrors errors;
  if (r.post) {
    intake::Draft sub;
    errors = ReadEntry(r, *channel, &sub);
    if (errors.empty()) return QueueEntry(r, *channel, std::move(sub), std::move(respond));
  }
  respond(EnterForm(r, *channel, errors));
}

}  // namespace tuidang::web
