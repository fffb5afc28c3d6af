// The declarant's two destructive acts with a receipt code, both POSTed forms with the code
// in the body (receipt_form.h): withdrawal, confirmed by a second POST, and the correction of
// a statement still held. Every use passes the receipt limits, and each act answers the same
// whether or not the code exists, at the same tick (answer_delay.h).
#include <memory>

#include "core/receipt.h"
#include "core/text.h"
#include "web/guard_web.h"
#include "web/pages.h"
#include "web/receipt_form.h"

namespace tuidang::web {

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
// holder is told what was done if the code is theirs and how to check; a guesser learns
// nothing about the code. The code goes back only in the body of the look-up button.
Response SameForEveryCode(const PageContext& ctx, std::string_view id, std::string_view title_key,
                          std::string_view detail_key, const std::string& code) {
  std::string b = "<h1 id=\"" + std::string(id) + "\">" + ctx.TrHtml(title_key) + "</h1><p>" +
                  ctx.TrHtml(detail_key) + "</p>" +
                  CodeButton(ctx, "receipt-form", "/receipt", code, "receipt.check_link");
  return ReceiptHtml(ctx, http::status::ok, ctx.Tr(title_key), b);
}

// The first step of a withdrawal: what it does, and the second POST that does it. Nothing is
// looked up, so it answers the same for every code and spends none of the limits.
Response ConfirmWithdrawal(const PageContext& ctx, const std::string& code) {
  std::string b = "<h1 id=\"confirm-withdraw\">" + ctx.TrHtml("receipt.withdraw.ask_title") +
                  "</h1><p>" + ctx.TrHtml("receipt.withdraw.confirm") + "</p><p>" +
                  ctx.TrHtml("receipt.withdraw.ask_detail") + "</p>";
  b += CodeButton(ctx, "withdraw-confirm-form", "/receipt/withdraw", code, "receipt.withdraw.yes",
                  "<input type=\"hidden\" name=\"confirm\" value=\"1\">");
  b += CodeButton(ctx, "withdraw-cancel-form", "/receipt", code, "receipt.withdraw.cancel");
  return ReceiptHtml(ctx, http::status::ok, ctx.Tr("receipt.withdraw.ask_title"), b);
}

}  // namespace

void ReceiptWithdraw(const RequestContext& rq, Responder respond) {
  const PageContext ctx = ReceiptContext(rq.page);
  const AppEnv& env = rq.env;
  auto began = AnswerDelay::Clock::now();
  if (!env.moderation) return respond(ReceiptNotFound(ctx));
  Form form;
  if (auto bad = ReadReceiptForm(rq, &form)) return respond(std::move(*bad));
  PostedCode posted = ReadPostedCode(form);
  if (form.GetOr("confirm") != "1") {
    // Not a code at all (no code has that form, so this tells nothing): the look-up again.
    if (!posted.digits) return respond(ReceiptNotFound(ctx));
    return respond(ConfirmWithdrawal(ctx, *posted.digits));
  }
  safety::ReceiptUse use = AdmitReceiptUse(env, rq.client, posted.key());
  if (!use.allowed()) {
    return respond(Private(ReceiptRefused(env, ctx.lang, false, use.retry_after())));
  }
  // Not a code: a failed use, answered as an unknown code is looked up.
  if (!posted.digits) return respond(ReceiptNotFound(ctx));
  const std::string& code = *posted.digits;
  ReceiptHash hash = HashReceiptCode(code);
  // Every write through the one writer, ordered with the batches (intake/sequencer.h).
  Sequencer& writer = *env.sequencer;
  auto storage_error = [&] {
    return Private(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  };
  auto done = AwaitWrite<Result<bool>>(
      [&](auto then) { return writer.WithdrawByReceipt(hash, std::move(then)); },
      Error{"stopping"});
  if (!done) {
    use.NotLookedUp();
    return respond(storage_error());
  }
  if (*done) {
    use.Found();
    // Safety first: what the declarant left sealed (a contact) goes with the statement, and
    // with rejected_retention_hours = 0 the row too.
    if (auto forgot = AwaitWrite<Result<int64_t>>(
            [&](auto then) { return writer.ForgetSealed(hash, std::move(then)); },
            Error{"stopping"});
        !forgot) {
      return respond(storage_error());
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
                                "receipt.withdraw.done_detail", code),
               respond);
}

void ReceiptCorrect(const RequestContext& rq, Responder respond) {
  const PageContext ctx = ReceiptContext(rq.page);
  const AppEnv& env = rq.env;
  auto began = AnswerDelay::Clock::now();
  if (!env.moderation) return respond(ReceiptNotFound(ctx));
  Form form;
  if (auto bad = ReadReceiptForm(rq, &form)) return respond(std::move(*bad));
  PostedCode posted = ReadPostedCode(form);
  // The correction form posts save=1 with the statement; the receipt's button only the code.
  bool save = form.Get("save").has_value();
  safety::ReceiptUse use = AdmitReceiptUse(env, rq.client, posted.key());
  if (!use.allowed()) {
    return respond(Private(ReceiptRefused(env, ctx.lang, false, use.retry_after())));
  }
  if (!posted.digits) return respond(ReceiptNotFound(ctx));
  const std::string& code = *posted.digits;
  ReceiptHash hash = HashReceiptCode(code);
  auto storage_error = [&] {
    return Private(ErrorPage(ctx, http::status::service_unavailable, "error.storage"));
  };
  if (save) {
    // Destructive: the correction is read first, and the answer is the same whether or not
    // the code exists (or its statement is still held).
    Statement corrected;
    if (auto shown = ReadCorrection(ctx, env, code, rq.http.body(), &corrected)) {
      use.NotLookedUp();
      return respond(Private(std::move(*shown)));
    }
    auto held = env.moderation->FindHeldByReceipt(hash);
    if (!held) {
      use.NotLookedUp();
      return respond(storage_error());
    }
    if (held->has_value()) {
      use.Found();
      // false: published or withdrawn meanwhile; the receipt page tells the holder.
      auto correct = [&](auto then) {
        return env.sequencer->CorrectHeld((*held)->id, std::move(corrected), std::move(then));
      };
      if (!AwaitWrite<Result<bool>>(correct, Error{"stopping"})) return respond(storage_error());
    } else if (auto known = env.store->FindReceipt(hash); known && known->has_value()) {
      use.Found();
    }
    return AnswerOnTick(
        env, began, SameForEveryCode(ctx, "corrected", "correct.done", "correct.done_detail", code),
        respond);
  }
  // Only the code: a look-up like the receipt page; the form shows the held statement.
  auto held = env.moderation->FindHeldByReceipt(hash);
  if (!held) {
    use.NotLookedUp();
    return respond(storage_error());
  }
  if (held->has_value()) {
    use.Found();
    return respond(Private(CorrectFormPage(ctx, env, code, **held)));
  }
  auto known = env.store->FindReceipt(hash);
  if (!known || !known->has_value()) return respond(ReceiptNotFound(ctx));
  use.Found();
  // Published (or withdrawn, rejected): the receipt page says what can still be done.
  std::string b = "<h1 id=\"not-held\">" + ctx.TrHtml("correct.not_held") + "</h1>" +
                  CodeButton(ctx, "receipt-form", "/receipt", code, "receipt.title");
  respond(ReceiptHtml(ctx, http::status::conflict, ctx.Tr("correct.not_held"), b));
}

}  // namespace tuidang::web
