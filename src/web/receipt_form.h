// What the receipt pages share (receipt.cc, receipt_actions.cc, submit.cc's reply): the code
// read from a POSTed form, the small forms that carry it on to the next action, and the
// answer of every page that shows a receipt's content. A receipt code never travels in a
// path or a query: those land in the browser's history, its session files and a
// proxy's logs (docs/threat-model.md §8). Pure rendering, no state; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web/form.h"
#include "web/page.h"
#include "web/request_context.h"

namespace tuidang::web {

// The form field in which every receipt action posts its code.
inline constexpr std::string_view kReceiptCodeField = "code";
// Characters the code's text box takes: 24 digits typed full-width with a separator after
// each group still fit (a maxlength of 24 cut such a code short, and it was not found).
inline constexpr int kReceiptCodeInputChars = 60;

// A receipt action's code as posted.
struct PostedCode {
  std::string_view text;              // the field as sent (into the form it was read from)
  std::optional<std::string> digits;  // ParseReceiptCode(text): the ASCII digits, if a code
  // What the receipt limits admit and the store hashes: the digits, or the text when it is
  // no code (looked up all the same, so that a malformed code answers like an unknown one).
  std::string_view key() const { return digits ? std::string_view(*digits) : text; }
};
// Reads kReceiptCodeField of `form` (full-width digits, spaces and dashes accepted).
// `form` must outlive the result.
PostedCode ReadPostedCode(const Form& form);

// Parses the urlencoded body of a receipt action into *form; on a malformed body returns the
// 400 page to answer instead (nothing was looked up).
std::optional<Response> ReadReceiptForm(const RequestContext& rq, Form* form);

// The context of every receipt answer: its language links lead to the look-up form
// (/receipt), never to the path or query the request came with.
PageContext ReceiptContext(const PageContext& ctx);

// Marks a response that shows a receipt's content or takes a code: stored by no browser or
// cache (Cache-Control: no-store) and sent on as no referrer, whatever the common headers say.
Response Private(Response res);
// A page of the site's layout, marked Private.
Response ReceiptHtml(const PageContext& ctx, http::status status, std::string_view title,
                     std::string_view body);

// A one-button form that posts `digits` (hidden) to `path` (a live page: "/receipt/proof"),
// with `extra` (HTML: more hidden fields) inside; `id` names the form. The code is in the
// form's body, never in its action.
std::string CodeButton(const PageContext& ctx, std::string_view id, std::string_view path,
                       std::string_view digits, std::string_view label_key,
                       std::string_view extra = {});

// The look-up form: an empty box for the code, posting to /receipt. It never shows a code.
std::string LookupFormHtml(const PageContext& ctx);

// The one answer of a receipt action to a code that is unknown or not a code at all: the same
// bytes whatever was sent (the code is not repeated), with the look-up form to try again.
Response ReceiptNotFound(const PageContext& ctx);

}  // namespace tuidang::web
