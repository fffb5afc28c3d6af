#include "web/page.h"

#include <sodium.h>

#include "core/text.h"
#include "web/static_files.h"

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
  std::string Asset(std::string_view name) const override { return StaticUrl(name); }
  std::string Live(Language lang, std::string_view path) const override {
    return LocalUrl(lang, path);
  }
};
std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

// The icon of a self-contained page: a data: URL (the CSP's img-src allows data:).
const std::string& IconDataUrl() {
  static const std::string url = "data:image/x-icon;base64," + Base64(FaviconIco());
  return url;
}

}  // namespace

const std::string& InlineStyleSource() {
  // CSP hash-source of the inline <style> of self-contained pages: the SHA-256 of its
  // exact text, so that no other inline style runs.
  static const std::string source = [] {
    if (sodium_init() < 0) return std::string();  // no hash: the inline style is refused
    std::string_view css = SiteCss();
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(css.data()), css.size());
    return "'sha256-" + Base64(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash)) +
           "'";
  }();
  return source;
}

const LinkBuilder& ServerLinks() {
  static const AbsoluteLinks links;
  return links;
}

std::string PageContext::Href(std::string_view p) const { return HtmlEscape(links->Page(lang, p)); }
std::string PageContext::HrefIn(Language other, std::string_view p) const {
  return HtmlEscape(links->Page(other, p));
}
std::string PageContext::FileHref(std::string_view p) const { return HtmlEscape(links->File(p)); }
std::string PageContext::AssetHref(std::string_view name) const {
  return HtmlEscape(links->Asset(name));
}
std::string PageContext::LiveHref(std::string_view p) const {
  return HtmlEscape(links->Live(lang, p));
}

std::string Layout(const PageContext& ctx, std::string_view title, std::string_view body,
                   std::string_view description) {
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
  out += "</title><meta name=\"description\" content=\"";
  AppendHtmlEscaped(&out, description.empty() ? ctx.Tr("meta.site") : std::string(description));
  out += "\">";
  if (ctx.self_contained) {
    out += "<style>";
    out += SiteCss();
    out += "</style><link rel=\"icon\" href=\"" + IconDataUrl();
  } else {
    out += "<link rel=\"stylesheet\" href=\"" + ctx.AssetHref("site.css") +
           "\"><link rel=\"icon\" href=\"" + ctx.AssetHref("favicon.ico");
  }
  out += "\" type=\"image/x-icon\"></head><body><a class=\"skip\" href=\"#main\">" +
         ctx.TrHtml("a11y.skip") + "</a><header><a class=\"brand\" href=\"";
  out += ctx.Href("/");
  out += "\">";
  AppendHtmlEscaped(&out, ctx.Tr("site.name"));
  out += "</a><nav aria-label=\"" + ctx.TrHtml("a11y.nav") + "\"><a href=\"" + ctx.Href("/submit") +
         "\">" + ctx.TrHtml("nav.submit") + "</a> ";
  out += "<a href=\"" + ctx.Href("/statements") + "\">" + ctx.TrHtml("nav.statements") + "</a> ";
  out += "<a href=\"" + ctx.LiveHref("/search") + "\">" + ctx.TrHtml("nav.search") + "</a> ";
  out += "<a href=\"" + ctx.Href("/stats") + "\">" + ctx.TrHtml("nav.stats") + "</a> ";
  out += "<a href=\"" + ctx.Href("/log") + "\">" + ctx.TrHtml("nav.log") + "</a></nav>";
  out += "<nav class=\"langs\" aria-label=\"" + ctx.TrHtml("a11y.languages") + "\">";
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
  out += "</nav></header><main id=\"main\" tabindex=\"-1\">";
  out += body;
  // The center's own pages (center_pages.cc), from every page.
  out += "</main><footer><nav aria-label=\"" + ctx.TrHtml("center.nav") + "\"><a href=\"" +
         ctx.Href("/about") + "\">" + ctx.TrHtml("center.about") + "</a> · <a href=\"" +
         ctx.Href("/privacy") + "\">" + ctx.TrHtml("center.privacy") + "</a> · <a href=\"" +
         ctx.Href("/safety") + "\">" + ctx.TrHtml("center.safety") + "</a></nav><p>";
  AppendHtmlEscaped(&out, ctx.Tr("footer.privacy"));
  out += "</p></footer></body></html>\n";
  return out;
}

std::string_view CacheControl(Caching caching) {
  switch (caching) {
    case Caching::kNoStore: return "no-store";
    case Caching::kShort: return "public, max-age=30";
    case Caching::kImmutable: return "public, max-age=31536000, immutable";
  }
  return "no-store";
}

Response HtmlResponse(http::status status, std::string html, Caching caching) {
  return TextResponse(status, std::move(html), "text/html; charset=utf-8", caching);
}

Response CachedHtmlResponse(const CachedBody& page, bool gzip, Caching caching) {
  return CachedBodyResponse(page, gzip, "text/html; charset=utf-8", CacheControl(caching));
}

CachedBody HtmlPrecompressed(std::string html) {
  return Precompressed(std::move(html), "text/html; charset=utf-8");
}

Response TextResponse(http::status status, std::string text, std::string_view content_type,
                      Caching caching) {
  Response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, CacheControl(caching));
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
          "default-src 'self'; style-src 'self' " + InlineStyleSource() +
              "; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
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
  AppendStatementBody(ctx, s, out);
  *out += "</li>";
}

void AppendStatementBody(const PageContext& ctx, const Statement& s, std::string* out) {
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
  // Phone first: nothing may be wider than a 320 px screen (long names, hashes and proofs
  // wrap; the receipt code shrinks rather than break inside a group), touch targets are at
  // least 44 px high, and focus is always visible.
  return R"css(html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font:16px/1.6 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#fff;overflow-wrap:break-word}
header{background:#8b0000;color:#fff;padding:.25em 1em;display:flex;flex-wrap:wrap;gap:0 1.2em;align-items:center}
header a{color:#fff;display:inline-block;padding:.6em .15em}.brand{font-weight:bold;font-size:1.2em;text-decoration:none}.langs{margin-left:auto}
.skip{position:absolute;left:-10000px;top:0}.skip:focus{left:.5em;top:.5em;background:#fff;color:#000;padding:.6em 1em;z-index:9}
:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}main:focus{outline:0}
main{max-width:46em;margin:0 auto;padding:1em}footer{max-width:46em;margin:2em auto;padding:0 1em;color:#555;font-size:.9em}footer nav a{display:inline-block;padding:.6em 0;color:#333}
h1,.name,blockquote{overflow-wrap:anywhere}
.count{font-size:2.2em;color:#8b0000}.error{color:#b00020;font-weight:bold;margin:.2em 0}
.warning{border-left:4px solid #a15c00;background:#fff6e0;padding:.1em 1em;margin:1em 0}#preview{border:1px solid #ccc;padding:0 .8em}#preview li.statement{border:0}
.errors{border:2px solid #b00020;padding:.2em 1em;margin:1em 0}.errors ul{margin:.2em 0;padding-left:1.2em}.errors a{color:#b00020}
[aria-invalid=true]{border:2px solid #b00020}
label{display:block;margin-top:.8em;font-weight:bold}input[type=text],select,textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4em;min-height:44px}
fieldset{margin:1em 0;border:1px solid #ccc;min-width:0}.choice{display:inline-block;font-weight:normal;margin:0 1em 0 0;padding:.5em 0}
input[type=radio],input[type=checkbox]{width:1.2em;height:1.2em;vertical-align:-.2em}
button{font:inherit;padding:.5em 1.2em;margin-top:1em;min-height:44px}
.primary{background:#8b0000;color:#fff;border:0;border-radius:.3em}
a.primary{display:inline-block;font-size:1.2em;font-weight:bold;padding:.6em 1.6em;min-height:44px;text-decoration:none}
a.primary:hover,button.primary:hover{background:#a50000}
.hint{color:#555;font-size:.9em;margin:.2em 0}ol.statements{list-style:none;padding:0}
li.statement{border-bottom:1px solid #ddd;padding:.6em 0}ul.persons{margin:.2em 0;padding-left:1.2em}
.kind,.day,.meta{color:#666;font-size:.9em}blockquote{margin:.4em 0 .4em 1em;white-space:pre-wrap}
pre{white-space:pre-wrap;word-break:break-all;overflow-wrap:anywhere;background:#f4f4f4;padding:.5em;font-size:.85em}
code{word-break:break-all;overflow-wrap:anywhere}
code.receipt{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:1.1em;font-size:min(1.6em,calc((100vw - 3em)/19));white-space:nowrap;word-break:normal;overflow-wrap:normal;display:inline-block;max-width:100%;overflow-x:auto;vertical-align:middle;background:#f4f4f4;padding:.2em .4em}
.pager a{margin-right:1em;display:inline-block;padding:.5em 0}
table.figures{border-collapse:collapse;margin:.5em 0}.figures th,.figures td{padding:.15em .8em;text-align:left;border-bottom:1px solid #eee}
.figures td{text-align:right}.scroll{overflow-x:auto;max-width:100%}
svg.chart{display:block;width:100%;height:auto;max-height:16em}figure{margin:1em 0}.as-of{color:#555;font-size:.9em}
.axis{display:flex;justify-content:space-between;flex-wrap:wrap;font-size:.8125em;color:#444}
details{margin:.5em 0}summary{cursor:pointer;min-height:44px;padding:.5em 0}
)css";
}

}  // namespace tuidang::web
