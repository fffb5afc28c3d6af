#include "web/receipt_form.h"

#include "core/receipt.h"
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

PostedCode ReadPostedCode(const Form& form) {
  PostedCode posted;
  posted.text = form.GetOr(kReceiptCodeField);
  posted.digits = ParseReceiptCode(posted.text);
  return posted;
}

std::optional<Response> ReadReceiptForm(const RequestContext& rq, Form* form) {
  auto parsed = Form::Parse(rq.http.body());
  if (!parsed) {
    return Private(
        ErrorPage(ReceiptContext(rq.page), http::status::bad_request, "error.form_encoding"));
  }
  *form = std::move(*parsed);
  return std::nullopt;
}

PageContext ReceiptContext(const PageContext& ctx) {
  PageContext c{ctx.catalog, ctx.lang, "/receipt", ctx.links};
  c.self_contained = ctx.self_contained;  // the answer to a declaration (submit.cc)
  return c;
}

Response Private(Response res) {
  res.set(http::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

Response ReceiptHtml(const PageContext& ctx, http::status status, std::string_view title,
                     std::string_view body) {
  return Private(HtmlResponse(status, Layout(ctx, title, body), Caching::kNoStore));
}

std::string CodeButton(const PageContext& ctx, std::string_view id, std::string_view path,
                       std::string_view digits, std::string_view label_key,
                       std::string_view extra) {
  std::string b = "<form method=\"post\" id=\"" + std::string(id) + "\" action=\"" +
                  ctx.LiveHref(path) + "\"><input type=\"hidden\" name=\"" +
                  std::string(kReceiptCodeField) + "\" value=\"";
  AppendHtmlEscaped(&b, digits);
  b += "\">";
  b += extra;
  b += "<button type=\"submit\">" + ctx.TrHtml(label_key) + "</button></form>";
  return b;
}

std::string LookupFormHtml(const PageContext& ctx) {
  // autocomplete=off: the browser's form history (its "Web Data" file) keeps no code either.
  return "<form method=\"post\" id=\"lookup-form\" action=\"" + ctx.LiveHref("/receipt") +
         "\" accept-charset=\"UTF-8\"><p><label for=\"code\">" + ctx.TrHtml("receipt.code") +
         "</label> <input type=\"text\" id=\"code\" name=\"" + std::string(kReceiptCodeField) +
         "\" inputmode=\"numeric\" autocomplete=\"off\" spellcheck=\"false\" maxlength=\"" +
         std::to_string(kReceiptCodeInputChars) + "\" required> <button type=\"submit\">" +
         ctx.TrHtml("home.check.button") + "</button></p></form>";
}

Response ReceiptNotFound(const PageContext& ctx) {
  PageContext plain = ReceiptContext(ctx);
  std::string b = "<h1 id=\"not-found\">" + plain.TrHtml("error.not_found") + "</h1><p>" +
                  plain.TrHtml("receipt.lookup.not_found") + "</p>" + LookupFormHtml(plain);
  return ReceiptHtml(plain, http::status::not_found, plain.Tr("error.not_found"), b);
}

}  // namespace tuidang::web
