#include "web/page.h"

#include "core/text.h"

namespace tuidang::web {

std::string PageContext::TrHtml(std::string_view key) const { return HtmlEscape(Tr(key)); }

std::string LocalUrl(Language lang, std::string_view path) {
  if (lang == Language::kSimplified && path == "/") return "/zh-hans/";
  return std::string(LanguagePathPrefix(lang)) + std::string(path);
}

namespace {
class AbsoluteLinks final : public LinkBuilder {
 public:
  std::string Page(Language lang, std::string_view path) const override {
    return LocalUrl(lang, path);
  }
  std::string File(std::string_view path) const override { return std::string(path); }
  std::string Live(Language lang, std::string_view path) const override {
    return LocalUrl(lang, path);
  }
};
}  // namespace

const LinkBuilder& ServerLinks() {
  static const AbsoluteLinks links;
  return links;
}

std::string PageContext::Href(std::string_view p) const { return HtmlEscape(links->Page(lang, p)); }
std::string PageContext::HrefIn(Language other, std::string_view p) const {
  return HtmlEscape(links->Page(other, p));
}
std::string PageContext::FileHref(std::string_view p) const { return HtmlEscape(links->File(p)); }
std::string PageContext::LiveHref(std::string_view p) const {
  return HtmlEscape(links->Live(lang, p));
}

std::string Layout(const PageContext& ctx, std::string_view title, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2048);
  out += "<!doctype html>\n<html lang=\"";
  out += LanguageHtmlTag(ctx.lang);
  out +=
      "\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\"><title>";
  AppendHtmlEscaped(&out, title);
  out += " · ";
  AppendHtmlEscaped(&out, ctx.Tr("site.name"));
  out += "</title><link rel=\"stylesheet\" href=\"" + ctx.FileHref("/static/site.css") +
         "\"></head><body><header><a class=\"brand\" href=\"";
  out += ctx.Href("/");
  out += "\">";
  AppendHtmlEscaped(&out, ctx.Tr("site.name"));
  out += "</a><nav><a href=\"" + ctx.Href("/submit") + "\">" + ctx.TrHtml("nav.submit") + "</a> ";
  out += "<a href=\"" + ctx.Href("/statements") + "\">" + ctx.TrHtml("nav.statements") + "</a> ";
  out += "<a href=\"" + ctx.LiveHref("/search") + "\">" + ctx.TrHtml("nav.search") + "</a> ";
  out += "<a href=\"" + ctx.Href("/stats") + "\">" + ctx.TrHtml("nav.stats") + "</a> ";
  out += "<a href=\"" + ctx.Href("/log") + "\">" + ctx.TrHtml("nav.log") + "</a></nav>";
  out += "<nav class=\"langs\">";
  for (Language l : kLanguages) {
    if (l == ctx.lang) continue;
    out += "<a hreflang=\"";
    out += LanguageHtmlTag(l);
    out += "\" lang=\"";
    out += LanguageHtmlTag(l);
    out += "\" href=\"";
    out += ctx.HrefIn(l, ctx.path);
    out += "\">";
    AppendHtmlEscaped(&out, ctx.catalog.Tr(l, "language.self"));
    out += "</a> ";
  }
  out += "</nav></header><main>";
  out += body;
  out += "</main><footer><p>";
  AppendHtmlEscaped(&out, ctx.Tr("footer.privacy"));
  out += "</p></footer></body></html>\n";
  return out;
}

namespace {
void SetCaching(Response& res, Caching caching) {
  switch (caching) {
    case Caching::kNoStore: res.set(http::field::cache_control, "no-store"); break;
    case Caching::kShort: res.set(http::field::cache_control, "public, max-age=30"); break;
    case Caching::kImmutable:
      res.set(http::field::cache_control, "public, max-age=31536000, immutable");
      break;
  }
}
}  // namespace

Response HtmlResponse(http::status status, std::string html, Caching caching) {
  return TextResponse(status, std::move(html), "text/html; charset=utf-8", caching);
}

Response TextResponse(http::status status, std::string text, std::string_view content_type,
                      Caching caching) {
  Response res{status, 11};
  res.set(http::field::content_type, content_type);
  SetCaching(res, caching);
  res.body() = std::move(text);
  return res;
}

Response Redirect(std::string_view location) {
  Response res{http::status::see_other, 11};
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  return res;
}

void AddCommonHeaders(Response& res) {
  res.set(http::field::server, "tuidang");
  res.set("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
          "base-uri 'none'");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
}

std::string OrganisationsText(const PageContext& ctx, uint8_t organisations) {
  std::string out;
  for (Organisation o : kOrganisationList) {
    if (!(organisations & o)) continue;
    if (!out.empty()) out += ctx.Tr("list.separator");
    out += ctx.Tr(std::string("org.") + std::string(OrganisationCode(o)));
  }
  return out;
}

void AppendStatementItem(const PageContext& ctx, const Statement& s, std::string* out,
                         bool certificate_link) {
  std::string number = std::to_string(*s.number);
  *out += "<li class=\"statement\" id=\"s-" + number + "\"><a class=\"number\" href=\"" +
          ctx.Href("/statements/" + number) + "\">" + ctx.Format("statement.number", number) +
          "</a> <span class=\"day\">" + FormatDay(s.day) + "</span>";
  if (certificate_link) {
    *out += " <a class=\"certificate\" href=\"" +
            ctx.Href("/statements/" + number + "/certificate") + "\">" +
            ctx.TrHtml("certificate.link") + "</a>";
  }
  *out += "<ul class=\"persons\">";
  for (const Person& p : s.persons) {
    *out += "<li><span class=\"name\">";
    AppendHtmlEscaped(out, p.name);
    *out += "</span> <span class=\"kind\">";
    AppendHtmlEscaped(out, ctx.Tr(p.real_name ? "person.real" : "person.pseudonym"));
    *out += "</span> <span class=\"orgs\">";
    AppendHtmlEscaped(out, ctx.Format("person.quits", OrganisationsText(ctx, p.organisations)));
    *out += "</span></li>";
  }
  *out += "</ul>";
  if (s.region || s.occupation) {
    *out += "<p class=\"meta\">";
    if (s.region) {
      AppendHtmlEscaped(out, ctx.Tr(std::string("region.") + std::string(RegionCode(s.region))));
    }
    if (s.region && s.occupation) *out += " · ";
    if (s.occupation) {
      AppendHtmlEscaped(
          out, ctx.Tr(std::string("occupation.") + std::string(OccupationCode(s.occupation))));
    }
    *out += "</p>";
  }
  if (!s.text.empty()) {
    *out += "<blockquote>";
    AppendHtmlEscaped(out, s.text);
    *out += "</blockquote>";
  }
  *out += "</li>";
}

std::string FormatCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++count;
  }
  return n < 0 ? "-" + out : out;
}

std::string_view SiteCss() {
  return R"css(body{font:16px/1.6 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#fff}
header{background:#8b0000;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.5em 1.5em;align-items:center}
header a{color:#fff}.brand{font-weight:bold;font-size:1.2em;text-decoration:none}.langs{margin-left:auto}
main{max-width:46em;margin:0 auto;padding:1em}footer{max-width:46em;margin:2em auto;padding:0 1em;color:#555;font-size:.9em}
.count{font-size:2.2em;color:#8b0000}.error{color:#b00020;font-weight:bold;margin:.2em 0}
label{display:block;margin-top:.8em;font-weight:bold}input[type=text],select,textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4em}
fieldset{margin:1em 0;border:1px solid #ccc}.choice{display:inline;font-weight:normal;margin-right:1em}
button{font:inherit;padding:.5em 1.2em;margin-top:1em}.primary{background:#8b0000;color:#fff;border:0}
.hint{color:#555;font-size:.9em;margin:.2em 0}ol.statements{list-style:none;padding:0}
li.statement{border-bottom:1px solid #ddd;padding:.6em 0}ul.persons{margin:.2em 0;padding-left:1.2em}
.kind,.day,.meta{color:#666;font-size:.9em}blockquote{margin:.4em 0 .4em 1em;white-space:pre-wrap}
code.receipt{font-size:1.6em;background:#f4f4f4;padding:.2em .4em}.pager a{margin-right:1em}
table.figures{border-collapse:collapse;margin:.5em 0}.figures th,.figures td{padding:.15em .8em;text-align:left;border-bottom:1px solid #eee}
.figures td{text-align:right}svg.chart{width:100%;height:auto;max-height:16em}figure{margin:1em 0}.as-of{color:#555;font-size:.9em}
)css";
}

}  // namespace tuidang::web
