// The receipt page: a declarant checks with their code that the statement was published,
// corrects it while it is held, or withdraws it. Every use of a code passes the receipt
// limits (safety/receipt_guard.h) and tells them whether the code was found; the two
// destructive actions (withdraw, correct) answer the same whether or not it exists.
#include <algorithm>
#include <memory>

#include "core/receipt.h"
#include "core/text.h"
#include "web/guard_web.h"
#include "web/pages.h"

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

// Sends a destructive action's answer at the next tick (answer_delay.h), whether the code
// existed or not.
void AnswerOnTick(const AppEnv& env, AnswerDelay::Clock::time_point began, Response res,
                  Responder& respond) {
  if (!env.delay) return respond(std::move(res));
  auto held = std::make_shared<Response>(std::move(res));
  env.delay->At(AnswerDelay::NextTick(began, AnswerDelay::Clock::now()),
                [respond = std::move(respond), held] { respond(std::move(*held)); });
}

// What a destructive action answers for any well-formed code, found or not: the real
// holder is told what was done if the code is theirs and where to check; a guesser
// learns nothing about the code.
Response SameForEveryCode(const PageContext& ctx, std::string_view id, std::string_view title_key,
                          std::string_view detail_key, const std::string& code) {
  PageContext plain{ctx.catalog, ctx.lang, "/", ctx.links};
  std::string b = "<h1 id=\"" + std::string(id) + "\">" + ctx.TrHtml(title_key) + "</h1><p>" +
                  ctx.TrHtml(detail_key) + "</p><p><a id=\"receipt-link\" href=\"" +
                  ctx.LiveHref("/receipt/" + code) + "\">" + ctx.TrHtml("receipt.check_link") +
                  "</a></p>";
  return HtmlResponse(http::status::ok, Layout(plain, ctx.Tr(title_key), b), Caching::kNoStore);
}

}  // namespace

Response ReceiptPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view code_text = rq.capture;
  const std::optional<safety::ClientKey>& client = rq.client;
  auto code = ReadReceiptCode(code_text);
  safety::ReceiptUse use = AdmitReceiptUse(env, client, code ? *code : code_text);
  if (!use.allowed()) return ReceiptRefused(env, ctx.lang, false, use.retry_after());
  // A malformed code is hashed and looked up like any other, so that neither the answer nor
  // its timing tells a malformed code from an unknown one.
  auto found = env.store->FindReceipt(HashReceiptCode(code ? *code : code_text));
  if (!found) {
    use.NotLookedUp();
    return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  }
  if (code && found->has_value()) use.Found();
  if (!code || !found->has_value()) {
    // The language links of this page must not repeat the code that was tried.
    PageContext plain{ctx.catalog, ctx.lang, "/", ctx.links};
    return ErrorPage(plain, http::status::not_found, "error.not_found");
  }
  const ReceiptStatus& r = **found;
  std::string status(StatusCode(r.status));
  std::string b;
  b += "<h1>" + ctx.TrHtml("receipt.title") + "</h1>";
  b += "<p>" + ctx.TrHtml("receipt.code") + " <code class=\"receipt\">" + FormatReceiptCode(*code) +
       "</code></p>";
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
         ctx.Href("/statements/" + n) + "\">" + HtmlEscape(ctx.Format("statement.number", n)) +
         "</a> · <a id=\"certificate-link\" href=\"" +
         ctx.Href("/statements/" + n + "/certificate") + "\">" + ctx.TrHtml("certificate.link") +
         "</a></p>";
  }
  if (r.leaf_index && r.status == StatementStatus::kPublished) {
    b += "<h2>" + ctx.TrHtml("receipt.log_title") + "</h2>";
    auto proof = ProofText(env, *r.leaf_index);
    if (proof) {
      b += "<p>" + HtmlEscape(ctx.Format("receipt.leaf", *r.leaf_index)) + "</p>";
      b += "<pre id=\"proof\">" + HtmlEscape(*proof) + "</pre>";
      b += "<p><a id=\"proof-link\" href=\"" + ctx.LiveHref("/receipt/" + *code + "/proof") +
           "\">" + ctx.TrHtml("receipt.proof_download") + "</a> · <a href=\"" + ctx.Href("/log") +
           "\">" + ctx.TrHtml("receipt.how_to_verify") + "</a></p>";
    } else {
      b += "<p id=\"log-pending\">" + ctx.TrHtml("receipt.not_yet_logged") + "</p>";
    }
  }
  if (env.moderation && r.status == StatementStatus::kHeld) {
    // Until it is published, the declarant may still correct it (no operator needed).
    b += "<h2>" + ctx.TrHtml("correct.title") + "</h2><p>" + ctx.TrHtml("correct.offer") +
         " <a id=\"correct-link\" href=\"" + ctx.LiveHref("/receipt/" + *code + "/correct") +
         "\">" + ctx.TrHtml("correct.link") + "</a></p>";
  }
  if (env.moderation &&
      (r.status == StatementStatus::kPublished || r.status == StatementStatus::kHeld ||
       r.status == StatementStatus::kAccepted)) {
    // Safety first: the declarant can take the statement down at once, no operator needed.
    b += "<h2>" + ctx.TrHtml("receipt.withdraw.title") + "</h2><form method=\"post\" action=\"" +
         ctx.LiveHref("/receipt/" + *code + "/withdraw") +
         "\"><p><label class=\"choice\"><input "
         "type=\"checkbox\" name=\"confirm\" value=\"1\" required> " +
         ctx.TrHtml("receipt.withdraw.confirm") + "</label></p><button type=\"submit\">" +
         ctx.TrHtml("receipt.withdraw.button") + "</button></form>";
  }
  return HtmlResponse(http::status::ok, Layout(ctx, ctx.Tr("receipt.title"), b), Caching::kNoStore);
}

Response ReceiptLookup(const PageContext& ctx, const Form& query) {
  auto code = ReadReceiptCode(query.GetOr("code"));
  if (!code) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  return Redirect(LocalUrl(ctx.lang, "/receipt/" + *code));
}

void ReceiptWithdraw(const RequestContext& rq, Responder respond) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view code_text = rq.capture;
  std::string_view body = rq.http.body();
  const std::optional<safety::ClientKey>& client = rq.client;
  auto began = AnswerDelay::Clock::now();
  PageContext plain{ctx.catalog, ctx.lang, "/", ctx.links};
  if (!env.moderation) return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  auto code = ReadReceiptCode(code_text);
  safety::ReceiptUse use = AdmitReceiptUse(env, client, code ? *code : code_text);
  if (!use.allowed()) return respond(ReceiptRefused(env, ctx.lang, false, use.retry_after()));
  // Not a code at all (no code has that form, so this tells nothing): a failed use.
  if (!code) return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  auto form = Form::Parse(body);
  if (!form || form->GetOr("confirm") != "1") {
    use.NotLookedUp();
    return respond(ErrorPage(plain, http::status::bad_request, "receipt.withdraw.unconfirmed"));
  }
  ReceiptHash hash = HashReceiptCode(*code);
  // Every write through the one writer, ordered with the batches (intake/sequencer.h).
  Sequencer& writer = *env.sequencer;
  auto done = AwaitWrite<Result<bool>>(
      [&](auto then) { return writer.WithdrawByReceipt(hash, std::move(then)); },
      Error{"stopping"});
  if (!done) {
    use.NotLookedUp();
    return respond(ErrorPage(plain, http::status::service_unavailable, "error.storage"));
  }
  if (*done) {
    use.Found();
    // Safety first: what the declarant left sealed (a contact) goes with the statement, and
    // with rejected_retention_hours = 0 the row too.
    if (auto forgot = AwaitWrite<Result<int64_t>>(
            [&](auto then) { return writer.ForgetSealed(hash, std::move(then)); },
            Error{"stopping"});
        !forgot) {
      return respond(ErrorPage(plain, http::status::service_unavailable, "error.storage"));
    }
    if (env.options.rejected_retention_hours == 0) {
      (void)AwaitWrite<Result<int64_t>>(
          [&](auto then) { return writer.PurgeRejected(0, std::move(then)); }, Error{"stopping"});
    }
  } else if (auto known = env.store->FindReceipt(hash); known && known->has_value()) {
    use.Found();  // already withdrawn or rejected: the holder, not a guess
  }
  // The same answer whether the code exists or not: nothing here tests a code.
  AnswerOnTick(env, began,
               SameForEveryCode(ctx, "withdrawn", "receipt.withdraw.done",
                                "receipt.withdraw.done_detail", *code),
               respond);
}

void ReceiptCorrect(const RequestContext& rq, Responder respond) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view code_text = rq.capture;
  const Request& req = rq.http;
  const std::optional<safety::ClientKey>& client = rq.client;
  auto began = AnswerDelay::Clock::now();
  PageContext plain{ctx.catalog, ctx.lang, "/", ctx.links};
  bool post = req.method() == http::verb::post;
  if (!env.moderation) return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  auto code = ReadReceiptCode(code_text);
  safety::ReceiptUse use = AdmitReceiptUse(env, client, code ? *code : code_text);
  if (!use.allowed()) return respond(ReceiptRefused(env, ctx.lang, false, use.retry_after()));
  if (!code) return respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
  ReceiptHash hash = HashReceiptCode(*code);
  if (post) {
    // Destructive: the correction is read first, and the answer is the same whether or not
    // the code exists (or its statement is still held).
    Statement corrected;
    if (auto shown = ReadCorrection(ctx, env, *code, req.body(), &corrected)) {
      use.NotLookedUp();
      return respond(std::move(*shown));
    }
    auto held = env.moderation->FindHeldByReceipt(hash);
    if (!held) {
      use.NotLookedUp();
      return respond(ErrorPage(plain, http::status::service_unavailable, "error.storage"));
    }
    if (held->has_value()) {
      use.Found();
      // false: published or withdrawn meanwhile; the receipt page tells the holder.
      auto correct = [&](auto then) {
        return env.sequencer->CorrectHeld((*held)->id, std::move(corrected), std::move(then));
      };
      if (!AwaitWrite<Result<bool>>(correct, Error{"stopping"})) {
        return respond(ErrorPage(plain, http::status::service_unavailable, "error.storage"));
      }
    } else if (auto known = env.store->FindReceipt(hash); known && known->has_value()) {
      use.Found();
    }
    return AnswerOnTick(
        env, began,
        SameForEveryCode(ctx, "corrected", "correct.done", "correct.done_detail", *code), respond);
  }
  // GET: a look-up like the receipt page; the form shows the held statement.
  auto held = env.moderation->FindHeldByReceipt(hash);
  if (!held) {
    use.NotLookedUp();
    return respond(ErrorPage(plain, http::status::service_unavailable, "error.storage"));
  }
  if (held->has_value()) {
    use.Found();
    return respond(CorrectFormPage(ctx, env, *code, **held));
  }
  auto known = env.store->FindReceipt(hash);
  if (known && known->has_value()) {
    use.Found();
    // Published (or withdrawn, rejected): the receipt page says what can still be done.
    std::string b = "<h1 id=\"not-held\">" + ctx.TrHtml("correct.not_held") + "</h1><p><a href=\"" +
                    ctx.LiveHref("/receipt/" + *code) + "\">" + ctx.TrHtml("receipt.title") +
                    "</a></p>";
    return respond(HtmlResponse(http::status::conflict,
                                Layout(plain, ctx.Tr("correct.not_held"), b), Caching::kNoStore));
  }
  respond(ErrorPage(plain, http::status::not_found, "error.not_found"));
}

}  // namespace tuidang::web
