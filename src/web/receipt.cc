// The receipt page: a declarant checks with their code that the statement was published.
#include <algorithm>

#include "core/receipt.h"
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

Response ReceiptPage(const PageContext& ctx, const AppEnv& env, std::string_view code_text) {
  auto code = ParseReceiptCode(code_text);
  // A malformed code is hashed and looked up like any other, so that neither the answer nor
  // its timing tells a malformed code from an unknown one.
  auto found = env.store->FindReceipt(HashReceiptCode(code ? *code : code_text));
  if (!found) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (!code || !found->has_value()) {
    // The language links of this page must not repeat the code that was tried.
    PageContext plain{ctx.catalog, ctx.lang, "/"};
    return ErrorPage(plain, http::status::not_found, "error.not_found");
  }
  const ReceiptStatus& r = **found;
  std::string status(StatusCode(r.status));
  std::string b;
  b += "<h1>" + ctx.TrHtml("receipt.title") + "</h1>";
  b += "<p>" + ctx.TrHtml("receipt.code") + " <code class=\"receipt\">" +
       FormatReceiptCode(*code) + "</code></p>";
  b += "<p class=\"hint\">" + ctx.TrHtml("receipt.keep") + "</p>";
  b += "<p>" + ctx.TrHtml("receipt.status") + " <span class=\"status status-" + status + "\">" +
       ctx.TrHtml("status." + status) + "</span></p>";
  b += "<p>" + ctx.TrHtml("receipt.day") + " " + FormatDay(r.day) + "</p>";
  if (r.status == StatementStatus::kAccepted) {
    // Mixed publication batches (intake/publisher.h): why there is no number yet.
    int64_t minutes = std::max<int64_t>(1, (env.options.publication_interval_seconds + 59) / 60);
    b += "<p id=\"batched\">" + HtmlEscape(ctx.Format("receipt.batched", minutes)) + "</p>";
  }
  if (r.number && r.status == StatementStatus::kPublished) {
    std::string n = std::to_string(*r.number);
    b += "<p>" + ctx.TrHtml("receipt.published_as") + " <a id=\"statement-link\" href=\"" +
         ctx.Url("/statements/" + n) + "\">" + HtmlEscape(ctx.Format("statement.number", n)) +
         "</a> · <a id=\"certificate-link\" href=\"" + ctx.Url("/statements/" + n + "/certificate") +
         "\">" + ctx.TrHtml("certificate.link") + "</a></p>";
  }
  if (r.leaf_index && r.status == StatementStatus::kPublished) {
    b += "<h2>" + ctx.TrHtml("receipt.log_title") + "</h2>";
    auto proof = ProofText(env, *r.leaf_index);
    if (proof) {
      b += "<p>" + HtmlEscape(ctx.Format("receipt.leaf", *r.leaf_index)) + "</p>";
      b += "<pre id=\"proof\">" + HtmlEscape(*proof) + "</pre>";
      b += "<p><a id=\"proof-link\" href=\"" + ctx.Url("/receipt/" + *code + "/proof") + "\">" +
           ctx.TrHtml("receipt.proof_download") + "</a> · <a href=\"" + ctx.Url("/log") + "\">" +
           ctx.TrHtml("receipt.how_to_verify") + "</a></p>";
    } else {
      b += "<p id=\"log-pending\">" + ctx.TrHtml("receipt.not_yet_logged") + "</p>";
    }
  }
  if (env.moderation && r.status == StatementStatus::kHeld) {
    // Until it is published, the declarant may still correct it (no operator needed).
    b += "<h2>" + ctx.TrHtml("correct.title") + "</h2><p>" + ctx.TrHtml("correct.offer") +
         " <a id=\"correct-link\" href=\"" + ctx.Url("/receipt/" + *code + "/correct") + "\">" +
         ctx.TrHtml("correct.link") + "</a></p>";
  }
  if (env.moderation && (r.status == StatementStatus::kPublished || r.status == StatementStatus::kHeld ||
                         r.status == StatementStatus::kAccepted)) {
    // Safety first: the declarant can take the statement down at once, no operator needed.
    b += "<h2>" + ctx.TrHtml("receipt.withdraw.title") + "</h2><form method=\"post\" action=\"" +
         ctx.Url("/receipt/" + *code + "/withdraw") + "\"><p><label class=\"choice\"><input "
         "type=\"checkbox\" name=\"confirm\" value=\"1\" required> " +
         ctx.TrHtml("receipt.withdraw.confirm") + "</label></p><button type=\"submit\">" +
         ctx.TrHtml("receipt.withdraw.button") + "</button></form>";
  }
  return HtmlResponse(http::status::ok, Layout(ctx, ctx.Tr("receipt.title"), b),
                      Caching::kNoStore);
}

Response ReceiptLookup(const PageContext& ctx, const Form& query) {
  auto code = ParseReceiptCode(query.GetOr("code"));
  if (!code) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  return Redirect(ctx.Url("/receipt/" + *code));
}

Response ReceiptWithdraw(const PageContext& ctx, const AppEnv& env, std::string_view code_text,
                         std::string_view body) {
  auto code = ParseReceiptCode(code_text);
  auto form = Form::Parse(body);
  PageContext plain{ctx.catalog, ctx.lang, "/"};
  if (!code || !env.moderation) return ErrorPage(plain, http::status::not_found, "error.not_found");
  if (!form || form->GetOr("confirm") != "1") {
    return ErrorPage(ctx, http::status::bad_request, "receipt.withdraw.unconfirmed");
  }
  auto done = env.moderation->WithdrawByReceipt(HashReceiptCode(*code));
  if (!done) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (!*done) return ErrorPage(plain, http::status::not_found, "error.not_found");
  // Safety first: what the declarant left sealed (a contact) goes with the statement, and
  // with rejected_retention_hours = 0 the row too.
  if (auto forgot = env.moderation->ForgetSealed(HashReceiptCode(*code)); !forgot) {
    return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  }
  if (env.options.rejected_retention_hours == 0) (void)env.moderation->PurgeRejected(0);
  std::string b = "<h1 id=\"withdrawn\">" + ctx.TrHtml("receipt.withdraw.done") + "</h1><p>" +
                  ctx.TrHtml("receipt.withdraw.done_detail") + "</p>";
  return HtmlResponse(http::status::ok, Layout(plain, ctx.Tr("receipt.withdraw.done"), b),
                      Caching::kNoStore);
}

void ReceiptCorrect(const PageContext& ctx, const AppEnv& env, std::string_view code_text,
                    const Request& req, const std::optional<safety::ClientKey>& client,
                    Responder respond) {
  PageContext plain{ctx.catalog, ctx.lang, "/"};
  auto code = ParseReceiptCode(code_text);
  bool post = req.method() == http::verb::post;
  // GETs pass the receipt limit in GateRequest; a POST counts against it here.
  if (post && env.guard) {
    safety::Admission a = env.guard->AdmitReceipt(client, code ? *code : std::string(code_text));
    if (!a.allowed) {
      Response res = ErrorPage(plain, http::status::too_many_requests, "error.rate_limited");
      res.set(http::field::retry_after, std::to_string(a.retry_after > 0 ? a.retry_after : 1));
      return respond(std::move(res));
    }
  }
  if (!env.moderation) return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  // As on the receipt page, a malformed code is hashed and looked up like any other.
  ReceiptHash hash = HashReceiptCode(code ? *code : code_text);
  auto held = env.moderation->FindHeldByReceipt(hash);
  if (!held) return respond(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  if (!code || !held->has_value()) {
    auto known = env.store->FindReceipt(hash);
    if (code && known && known->has_value()) {
      // Published (or withdrawn, rejected): the receipt page says what can still be done.
      std::string b = "<h1 id=\"not-held\">" + ctx.TrHtml("correct.not_held") + "</h1><p><a href=\"" +
                      ctx.Url("/receipt/" + *code) + "\">" + ctx.TrHtml("receipt.title") + "</a></p>";
      return respond(HtmlResponse(http::status::conflict, Layout(plain, ctx.Tr("correct.not_held"), b),
                                  Caching::kNoStore));
    }
    return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  }
  if (!post) return respond(CorrectFormPage(ctx, env, *code, **held));
  Statement corrected;
  if (auto shown = ReadCorrection(ctx, env, *code, req.body(), &corrected)) return respond(std::move(*shown));
  auto done = env.moderation->CorrectHeld((*held)->id, corrected);
  if (!done) return respond(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  if (!*done) {
    std::string b = "<h1 id=\"not-held\">" + ctx.TrHtml("correct.not_held") + "</h1>";
    return respond(HtmlResponse(http::status::conflict, Layout(plain, ctx.Tr("correct.not_held"), b),
                                Caching::kNoStore));
  }
  std::string b = "<h1 id=\"corrected\">" + ctx.TrHtml("correct.done") + "</h1><p><a href=\"" +
                  ctx.Url("/receipt/" + *code) + "\">" + ctx.TrHtml("receipt.title") + "</a></p>";
  respond(HtmlResponse(http::status::ok, Layout(plain, ctx.Tr("correct.done"), b), Caching::kNoStore));
}

}  // namespace tuidang::web
