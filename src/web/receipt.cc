// The receipt: shown once in the answer to the declaration, then looked up and used
// (status, proof, certificate; correction and withdrawal in receipt_actions.cc) through
// POSTed forms only, the code in the form's body (receipt_form.h). Every use of a code passes
// the receipt limits (safety/receipt_guard.h) and tells them whether the code was found.
// The addresses of before (/receipt/<code>...) lead to the look-up form without reading
// the code they carry.
#include <algorithm>

#include "core/receipt.h"
#include "core/text.h"
#include "web/guard_web.h"
#include "web/pages.h"
#include "web/receipt_form.h"

namespace tuidang::web {

std::optional<std::string> ReadReceiptCode(std::string_view text) {
  if (auto code = ParseReceiptCode(text)) return code;
  // Typed into the address bar with spaces or full-width digits: percent-escaped.
  if (text.find('%') == std::string_view::npos) return std::nullopt;
  auto decoded = UrlDecode(text);
  if (!decoded) return std::nullopt;
  return ParseReceiptCode(*decoded);
}

namespace {

// What the receipt limits admitted, with what the store found for it; or the answer to
// send instead (refused, storage error, not found: the same page for every wrong code).
struct Looked {
  std::optional<Response> answer;
  PostedCode posted;
  std::optional<ReceiptStatus> status;
};

// Admits the posted code, looks it up and settles the use.
Looked LookUp(const RequestContext& rq, const Form& form) {
  const AppEnv& env = rq.env;
  Looked l;
  l.posted = ReadPostedCode(form);
  safety::ReceiptUse use = AdmitReceiptUse(env, rq.client, l.posted.key());
  if (!use.allowed()) {
    l.answer = Private(ReceiptRefused(env, rq.page.lang, false, use.retry_after()));
    return l;
  }
  // A malformed code is hashed and looked up like any other, so that neither the answer nor
  // its timing tells a malformed code from an unknown one.
  auto found = env.store->FindReceipt(HashReceiptCode(l.posted.key()));
  if (!found) {
    use.NotLookedUp();
    l.answer = Private(
        ErrorPage(ReceiptContext(rq.page), http::status::service_unavailable, "error.storage"));
    return l;
  }
  if (!l.posted.digits || !found->has_value()) {
    l.answer = ReceiptNotFound(rq.page);
    return l;
  }
  use.Found();
  l.status = **found;
  return l;
}

// Status, day and, for a statement waiting for its batch, why it has no number yet.
std::string StatusHtml(const PageContext& ctx, const ReceiptStatus& r, int64_t batch_minutes) {
  std::string status(StatusCode(r.status));
  std::string b = "<p>" + ctx.TrHtml("receipt.status") + " <span class=\"status status-" + status +
                  "\">" + ctx.TrHtml("status." + status) + "</span></p>";
  b += "<p>" + ctx.TrHtml("receipt.day") + " " + FormatDay(r.day) + "</p>";
  if (r.status == StatementStatus::kAccepted) {
    // Mixed publication batches (intake/publisher.h): why there is no number yet.
    b += "<p id=\"batched\">" + HtmlEscape(ctx.Format("receipt.batched", batch_minutes)) + "</p>";
  }
  return b;
}

// Why a held statement waits and what happens next, in plain words (issue 15). The reason
// is known only in the answer to the declaration (`hold_reason`: the abuse gate's; empty:
// every statement is read, or a later look-up, which says what holds statements at all).
// Flood signals are told apart from a missing check, not named one by one: a flood must
// not learn which pattern gave it away.
std::string HeldHtml(const PageContext& ctx, std::optional<std::string_view> hold_reason) {
  std::string why = "receipt.held.why_any";
  if (hold_reason) {
    why = hold_reason->empty()       ? "receipt.held.why_all"
          : *hold_reason == "no_pow" ? "receipt.held.why_unchecked"
                                     : "receipt.held.why_flood";
  }
  return "<div id=\"held\"><p id=\"held-why\">" + ctx.TrHtml(why) + "</p><p id=\"held-next\">" +
         ctx.TrHtml("receipt.held.next") + "</p></div>";
}

// The receipt's published part: its number, certificate and proof of inclusion.
std::string PublishedHtml(const PageContext& ctx, const AppEnv& env, const ReceiptStatus& r,
                          const std::string& code) {
  std::string b;
  if (r.number) {
    std::string n = std::to_string(*r.number);
    b += "<p>" + ctx.TrHtml("receipt.published_as") + " <a id=\"statement-link\" href=\"" +
         ctx.Href("/statements/" + n) + "\">" + HtmlEscape(ctx.Format("statement.number", n)) +
         "</a></p>";
    b += CodeButton(ctx, "certificate-form", "/receipt/certificate", code, "certificate.link");
  }
  if (!r.leaf_index) return b;
  b += "<h2>" + ctx.TrHtml("receipt.log_title") + "</h2>";
  auto proof = ProofText(env, r);
  if (!proof) return b + "<p id=\"log-pending\">" + ctx.TrHtml("receipt.not_yet_logged") + "</p>";
  b += "<p>" + HtmlEscape(ctx.Format("receipt.leaf", *r.leaf_index)) + "</p>";
  b += "<pre id=\"proof\">" + HtmlEscape(*proof) + "</pre>";
  b += CodeButton(ctx, "proof-form", "/receipt/proof", code, "receipt.proof_download");
  b +=
      "<p><a href=\"" + ctx.Href("/log") + "\">" + ctx.TrHtml("receipt.how_to_verify") + "</a></p>";
  return b;
}

}  // namespace

Response ReceiptPage(const RequestContext& rq) {
  const PageContext ctx = ReceiptContext(rq.page);
  const AppEnv& env = rq.env;
  Form form;
  if (auto bad = ReadReceiptForm(rq, &form)) return std::move(*bad);
  Looked l = LookUp(rq, form);
  if (l.answer) return std::move(*l.answer);
  const ReceiptStatus& r = *l.status;
  const std::string& code = *l.posted.digits;
  std::string b;
  b += "<h1>" + ctx.TrHtml("receipt.title") + "</h1>";
  b += "<p>" + ctx.TrHtml("receipt.code") + " <code class=\"receipt\" id=\"receipt-code\">" +
       FormatReceiptCode(code) + "</code></p>";
  b += "<p class=\"hint\">" + ctx.TrHtml("receipt.keep") + "</p>";
  b += StatusHtml(ctx, r, BatchMinutes(env));
  if (r.status == StatementStatus::kHeld) b += HeldHtml(ctx, std::nullopt);
  if (r.status == StatementStatus::kPublished) b += PublishedHtml(ctx, env, r, code);
  if (env.moderation && r.status == StatementStatus::kHeld) {
    // Until it is published, the declarant may still correct it (no operator needed).
    b += "<h2>" + ctx.TrHtml("correct.title") + "</h2><p>" + ctx.TrHtml("correct.offer") + "</p>" +
         CodeButton(ctx, "correct-form", "/receipt/correct", code, "correct.link");
  }
  if (env.moderation &&
      (r.status == StatementStatus::kPublished || r.status == StatementStatus::kHeld ||
       r.status == StatementStatus::kAccepted)) {
    // Safety first: the declarant can take the statement down, no operator needed; the
    // next page asks to confirm (receipt_actions.cc).
    b += "<h2>" + ctx.TrHtml("receipt.withdraw.title") + "</h2>" +
         CodeButton(ctx, "withdraw-form", "/receipt/withdraw", code, "receipt.withdraw.button");
  }
  return ReceiptHtml(ctx, http::status::ok, ctx.Tr("receipt.title"), b);
}

Response ReceiptLookup(const RequestContext& rq) {
  const PageContext ctx = ReceiptContext(rq.page);
  std::string b = "<h1>" + ctx.TrHtml("receipt.lookup.title") + "</h1>";
  // Came from an address of before (ReceiptOldLink), or from an old bookmark of the GET
  // look-up form: the code it carried is not read, and the declarant is told why.
  if (rq.query.Get("old") || rq.query.Get(kReceiptCodeField)) {
    b += "<p id=\"old-link\" class=\"error\">" + ctx.TrHtml("receipt.lookup.old_link") + "</p>";
  }
  b += "<p class=\"hint\">" + ctx.TrHtml("receipt.lookup.intro") + "</p>" + LookupFormHtml(ctx);
  return ReceiptHtml(ctx, http::status::ok, ctx.Tr("receipt.lookup.title"), b);
}

Response ReceiptOldLink(const RequestContext& rq) {
  // 303 (a POST from a page of before becomes a GET): the address bar then shows /receipt.
  // The capture is never read: the code it may hold is neither looked up nor repeated.
  return Private(Redirect(LocalUrl(rq.page.lang, "/receipt?old=1")));
}

Response ReceiptProof(const RequestContext& rq) {
  const PageContext ctx = ReceiptContext(rq.page);
  const AppEnv& env = rq.env;
  Form form;
  if (auto bad = ReadReceiptForm(rq, &form)) return std::move(*bad);
  Looked l = LookUp(rq, form);
  if (l.answer) return std::move(*l.answer);
  if (!l.status->leaf_index || l.status->status != StatementStatus::kPublished) {
    return ReceiptNotFound(ctx);
  }
  auto proof = ProofText(env, *l.status);
  if (!proof) return Private(ErrorPage(ctx, http::status::not_found, "receipt.not_yet_logged"));
  Response res = TextResponse(http::status::ok, std::move(*proof), "text/plain; charset=utf-8",
                              Caching::kNoStore);
  // A neutral name: the file may sit in the Downloads folder of a phone that is inspected,
  // so it names neither the statement, the code nor the center (tuidang is 退党).
  res.set(http::field::content_disposition, "attachment; filename=\"proof.tlog-proof\"");
  return Private(std::move(res));
}

Response ReceiptCertificate(const RequestContext& rq) {
  const PageContext ctx = ReceiptContext(rq.page);
  const AppEnv& env = rq.env;
  Form form;
  if (auto bad = ReadReceiptForm(rq, &form)) return std::move(*bad);
  Looked l = LookUp(rq, form);
  if (l.answer) return std::move(*l.answer);
  if (!l.status->number || l.status->status != StatementStatus::kPublished) {
    return ReceiptNotFound(ctx);
  }
  auto found = env.store->GetPublished(*l.status->number);
  if (!found) return Private(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  if (!found->has_value()) return ReceiptNotFound(ctx);
  auto opening = env.store->GetOpening(*l.status->number);
  auto checkpoint = env.store->LatestCheckpoint();
  if (!opening || !checkpoint) {
    return Private(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  }
  std::optional<uint64_t> leaf;
  if (opening->has_value()) leaf = (*opening)->leaf_index;
  return Private(HtmlResponse(
      http::status::ok, CertificateHtml(ctx, **found, env.options.log_origin, leaf, *checkpoint),
      Caching::kNoStore));
}

Response SubmitReply(const PageContext& page, std::string_view code, const ReceiptStatus& r,
                     int64_t batch_minutes, std::string_view hold_reason) {
  const PageContext ctx = ReceiptContext(page);
  std::string digits(code);
  std::string b = "<h1 id=\"received\">" + ctx.TrHtml("receipt.reply.title") + "</h1>";
  // The one time the code is shown without being typed: the step the declarant must not miss.
  b += "<section id=\"write-down\"><h2>" + ctx.TrHtml("receipt.reply.write_title") + "</h2><p>" +
       ctx.TrHtml("receipt.code") + " <code class=\"receipt\" id=\"receipt-code\">" +
       FormatReceiptCode(digits) + "</code></p><p>" + ctx.TrHtml("receipt.reply.once") +
       "</p><p class=\"hint\" id=\"keep-apart\">" + ctx.TrHtml("receipt.reply.apart") +
       "</p></section>";
  b += StatusHtml(ctx, r, batch_minutes);
  if (r.status == StatementStatus::kHeld) b += HeldHtml(ctx, hold_reason);
  // Going on needs the box ticked (required: no script needed); the code rides in the body.
  b += CodeButton(ctx, "continue-form", "/receipt", digits, "receipt.reply.continue",
                  "<p><label class=\"choice\"><input type=\"checkbox\" name=\"written\" "
                  "value=\"1\" required> " +
                      ctx.TrHtml("receipt.reply.written") + "</label></p>");
  return ReceiptHtml(ctx, http::status::ok, ctx.Tr("receipt.reply.title"), b);
}

int64_t BatchMinutes(const AppEnv& env) {
  return std::max<int64_t>(1, (env.options.publication_interval_seconds + 59) / 60);
}

}  // namespace tuidang::web
