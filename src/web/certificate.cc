// /statements/<number>/certificate: a printable certificate of withdrawal, in Chinese and
// English, with what anyone needs to check it against the public log: the statement's
// number, day, names as published, organisations, its leaf index and the signed checkpoint
// that includes it. No JavaScript; /static/certificate.css holds the print rules. A
// certificate of many persons prints on as many A4 pages as it needs: the persons are a
// table whose head (the columns) and foot (the facts and the checkpoint) the browser
// repeats on every printed page, so no page stands without what makes it checkable (kept
// short in print: Chromium repeats a table's foot only when it takes under a quarter of
// the page).
#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

// "中文 · English" for a label, both escaped.
std::string Both(const PageContext& zh, const PageContext& en, std::string_view key) {
  return "<span lang=\"" + std::string(LanguageHtmlTag(zh.lang)) + "\">" + zh.TrHtml(key) +
         "</span> <span class=\"en\" lang=\"en\">" + en.TrHtml(key) + "</span>";
}

}  // namespace

std::string CertificateHtml(const PageContext& ctx, const Statement& s, std::string_view log_origin,
                            std::optional<uint64_t> leaf_index,
                            const std::optional<std::pair<uint64_t, std::string>>& checkpoint) {
  // The Chinese half follows the page's script (Simplified unless /zh-hant/).
  Language zh_lang =
      ctx.lang == Language::kTraditional ? Language::kTraditional : Language::kSimplified;
  PageContext zh{ctx.catalog, zh_lang, ctx.path, ctx.links};
  PageContext en{ctx.catalog, Language::kEnglish, ctx.path, ctx.links};
  std::string number = std::to_string(*s.number);
  std::string day = FormatDay(s.day);
  std::string zh_tag(LanguageHtmlTag(zh_lang));

  std::string b = "<!doctype html>\n<html lang=\"" + std::string(LanguageHtmlTag(ctx.lang)) +
                  "\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<meta name=\"referrer\" content=\"no-referrer\"><title>";
  AppendHtmlEscaped(&b,
                    ctx.Tr("certificate.title") + " · " + ctx.Format("statement.number", number));
  b += "</title><link rel=\"stylesheet\" href=\"" + ctx.AssetHref("certificate.css") +
       "\"></head><body><main>";
  b += "<p class=\"screen-only\"><a href=\"" + ctx.Href("/statements/" + number) + "\">" +
       HtmlEscape(ctx.Format("statement.number", number)) + "</a> · " +
       ctx.TrHtml("certificate.print_hint") + "</p>";
  b += "<article class=\"certificate\" id=\"certificate\">";
  b += "<header><p class=\"center\">" + Both(zh, en, "site.name") + "</p>";
  b += "<h1><span lang=\"" + zh_tag + "\">" + zh.TrHtml("certificate.title") +
       "</span><span class=\"en\" lang=\"en\">" + en.TrHtml("certificate.title") +
       "</span></h1></header>";
  b += "<p class=\"declared\" lang=\"" + zh_tag + "\">" +
       HtmlEscape(zh.Format("certificate.declared", day, number)) + "</p>";
  b += "<p class=\"declared en\" lang=\"en\">" +
       HtmlEscape(en.Format("certificate.declared", day, number)) + "</p>";

  b += "<table class=\"persons\"><thead><tr><th scope=\"col\">" + Both(zh, en, "certificate.name") +
       "</th><th scope=\"col\">" + Both(zh, en, "certificate.organisations") +
       "</th></tr></thead><tbody>";
  for (const Person& p : s.persons) {
    b += "<tr><td class=\"name\">";
    AppendHtmlEscaped(&b, p.name);
    b += " <span class=\"kind\">" + Both(zh, en, p.real_name ? "person.real" : "person.pseudonym") +
         "</span></td><td>";
    b += "<span lang=\"" + zh_tag + "\">" + HtmlEscape(OrganisationsText(zh, p.organisations)) +
         "</span> <span class=\"en\" lang=\"en\">" +
         HtmlEscape(OrganisationsText(en, p.organisations)) + "</span></td></tr>";
  }
  b += "</tbody><tfoot><tr><td colspan=\"2\">";

  b += "<dl class=\"facts\">";
  b += "<dt>" + Both(zh, en, "certificate.number") + "</dt><dd id=\"number\">" + number + "</dd>";
  b += "<dt>" + Both(zh, en, "certificate.day") + "</dt><dd id=\"day\">" + day + "</dd>";
  if (leaf_index) {
    b += "<dt>" + Both(zh, en, "certificate.leaf") + "</dt><dd id=\"leaf\">" +
         std::to_string(*leaf_index) + "</dd>";
  }
  b += "<dt>" + Both(zh, en, "certificate.log") + "</dt><dd><code>";
  AppendHtmlEscaped(&b, log_origin);
  b += "</code></dd></dl>";

  if (leaf_index && checkpoint && checkpoint->first > *leaf_index) {
    b += "<section class=\"proof\"><p lang=\"" + zh_tag + "\">" +
         HtmlEscape(zh.Format("certificate.included", *leaf_index, checkpoint->first)) +
         "</p><p class=\"en\" lang=\"en\">" +
         HtmlEscape(en.Format("certificate.included", *leaf_index, checkpoint->first)) +
         "</p><pre id=\"checkpoint\">";
    AppendHtmlEscaped(&b, checkpoint->second);
    b += "</pre></section>";
  } else {
    b += "<p id=\"log-pending\">" + Both(zh, en, "certificate.pending") + "</p>";
  }
  b += "</td></tr></tfoot></table>";
  b += "<footer><p lang=\"" + zh_tag + "\">" + zh.TrHtml("certificate.verify") +
       "</p><p class=\"en\" lang=\"en\">" + en.TrHtml("certificate.verify") +
       "</p></footer></article></main></body></html>\n";
  return b;
}

Response CertificatePage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  const AppEnv& env = rq.env;
  std::string_view number_text = rq.capture;
  auto number = ParseNumber(number_text);
  if (!number) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  auto found = env.store->GetPublished(*number);
  if (!found) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (!found->has_value()) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  auto opening = env.store->GetOpening(*number);
  if (!opening) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  std::optional<uint64_t> leaf;
  if (opening->has_value()) leaf = (*opening)->leaf_index;
  auto checkpoint = env.store->LatestCheckpoint();
  if (!checkpoint) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  // Not cached for long: the checkpoint grows, and a withdrawal must take the page down.
  return HtmlResponse(http::status::ok,
                      CertificateHtml(ctx, **found, env.options.log_origin, leaf, *checkpoint),
                      Caching::kNoStore);
}

std::string DayCertificatesHtml(const PageContext& ctx, Day day, int64_t page,
                                const std::vector<Statement>& list,
                                const std::vector<uint64_t>& leaves, std::string_view log_origin,
                                const std::pair<uint64_t, std::string>& checkpoint) {
  // Bilingual like the live certificate; labels stay short, since a page holds fifty.
  Language zh_lang =
      ctx.lang == Language::kTraditional ? Language::kTraditional : Language::kSimplified;
  PageContext zh{ctx.catalog, zh_lang, ctx.path, ctx.links};
  PageContext en{ctx.catalog, Language::kEnglish, ctx.path, ctx.links};
  std::string zh_tag(LanguageHtmlTag(zh_lang));
  std::string date = FormatDay(day);
  std::string list_url =
      "/statements?date=" + date + (page > 1 ? "&page=" + std::to_string(page) : "");

  std::string b = "<!doctype html>\n<html lang=\"" + zh_tag +
                  "\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<meta name=\"referrer\" content=\"no-referrer\"><title>";
  AppendHtmlEscaped(&b, zh.Tr("certificate.title") + " · " + zh.Format("list.title", date));
  b += "</title><link rel=\"stylesheet\" href=\"" + ctx.FileHref("/static/certificates.css") +
       "\"></head><body>";
  b += "<p class=\"screen-only\"><a href=\"" + zh.Href(list_url) + "\">" +
       HtmlEscape(zh.Format("list.title", date)) + "</a> · " +
       zh.TrHtml("export.certificates.hint") + " <span lang=\"en\">" +
       en.TrHtml("export.certificates.hint") + "</span></p>";
  b += "<header><p class=\"center\">" + Both(zh, en, "site.name") + "</p>";
  b += "<h1><span lang=\"" + zh_tag + "\">" + zh.TrHtml("certificate.title") +
       "</span><span class=\"en\" lang=\"en\">" + en.TrHtml("certificate.title") +
       "</span></h1></header>";
  for (size_t i = 0; i < list.size(); ++i) {
    const Statement& s = list[i];
    std::string number = std::to_string(*s.number);
    b += "<article class=\"certificate\" id=\"c-" + number + "\"><p class=\"declared\" lang=\"" +
         zh_tag + "\">" + HtmlEscape(zh.Format("certificate.declared", date, number)) +
         "</p><p class=\"declared en\" lang=\"en\">" +
         HtmlEscape(en.Format("certificate.declared", date, number)) + "</p><ul class=\"persons\">";
    for (const Person& p : s.persons) {
      b += "<li><span class=\"name\">";
      AppendHtmlEscaped(&b, p.name);
      b += "</span> <span class=\"kind\">" +
           Both(zh, en, p.real_name ? "person.real" : "person.pseudonym") +
           "</span> <span lang=\"" + zh_tag + "\">" +
           HtmlEscape(OrganisationsText(zh, p.organisations)) +
           "</span> <span class=\"en\" lang=\"en\">" +
           HtmlEscape(OrganisationsText(en, p.organisations)) + "</span></li>";
    }
    b += "</ul><dl class=\"facts\"><dt>" + Both(zh, en, "certificate.number") +
         "</dt><dd class=\"number\">" + number + "</dd><dt>" + Both(zh, en, "certificate.day") +
         "</dt><dd class=\"day\">" + date + "</dd><dt>" + Both(zh, en, "certificate.leaf") +
         "</dt><dd class=\"leaf\">" + std::to_string(leaves[i]) + "</dd></dl>";
    b += "<p class=\"included\" lang=\"" + zh_tag + "\">" +
         HtmlEscape(zh.Format("certificate.included", leaves[i], checkpoint.first)) +
         "</p><p class=\"included en\" lang=\"en\">" +
         HtmlEscape(en.Format("certificate.included", leaves[i], checkpoint.first)) +
         "</p></article>";
  }
  b += "<footer><p>" + Both(zh, en, "certificate.log") + " <code>";
  AppendHtmlEscaped(&b, log_origin);
  b += "</code></p><pre class=\"checkpoint\">";
  AppendHtmlEscaped(&b, checkpoint.second);
  b += "</pre><p lang=\"" + zh_tag + "\">" + zh.TrHtml("certificate.verify") +
       "</p><p class=\"en\" lang=\"en\">" + en.TrHtml("certificate.verify") +
       "</p></footer></body></html>\n";
  return b;
}

std::string_view DayCertificatesCss() {
  // On screen: the certificates one below the other. In print: the one whose anchor is the
  // target (the link from its statement), alone on an A4 page with the shared header and
  // the checkpoint; with no target (or a browser without :has), every one, a page each.
  return R"css(
body{margin:0 auto;padding:1rem;max-width:210mm;font-family:"Noto Serif CJK SC","Songti SC",SimSun,serif;color:#111;background:#eee}
.screen-only{font-family:sans-serif;font-size:.9rem}
header,footer,.certificate{box-sizing:border-box;background:#fff;padding:6mm 12mm;border-left:3px double #8b0000;border-right:3px double #8b0000}
header{text-align:center;border-top:3px double #8b0000}footer{border-bottom:3px double #8b0000;font-size:.85rem;color:#333}
.center{margin:0;letter-spacing:.1em}
h1{margin:.5em 0 0;font-size:2rem;letter-spacing:.3em}h1 .en{display:block;font-size:1.1rem;letter-spacing:.05em;font-weight:normal}
.en{font-family:Georgia,"Times New Roman",serif}
.certificate{border-top:1px solid #ccc}.certificate:target{outline:2px solid #8b0000}
.declared{font-size:1.05rem;line-height:1.7;margin:.3em 0}p.en{font-size:.95rem;color:#333}
ul.persons{margin:4mm 0;padding-left:1.2em}.name{font-size:1.15rem}.kind{font-size:.8rem;color:#444}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1.2em;margin:3mm 0}dt{font-weight:bold}dd{margin:0}dt .en{font-weight:normal;font-size:.8em}
.included{font-size:.9rem;margin:.2em 0}
pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f6f6f6;padding:.6em;border:1px solid #ccc}
@page{size:A4;margin:15mm}
@media print{body{background:#fff;padding:0;max-width:none}.screen-only{display:none}.certificate{break-inside:avoid;border-top:0}.certificate:target{outline:0}
body:not(:has(.certificate:target)) .certificate+.certificate{break-before:page}body:has(.certificate:target) .certificate:not(:target){display:none}pre{background:none}}
)css";
}

std::string_view CertificateCss() {
  return R"css(
body{margin:0;padding:1rem;font-family:"Noto Serif CJK SC","Songti SC",SimSun,serif;color:#111;background:#eee}
.screen-only{font-family:sans-serif;font-size:.9rem;max-width:210mm;margin:0 auto .5rem}
.certificate{box-sizing:border-box;max-width:210mm;min-height:297mm;margin:0 auto;padding:18mm 20mm;background:#fff;border:3px double #8b0000;outline:1px solid #8b0000;outline-offset:-8mm}
.certificate header{text-align:center;margin-bottom:8mm}
.center{margin:0;letter-spacing:.1em}
h1{margin:.5em 0 0;font-size:2rem;letter-spacing:.3em}
h1 .en{display:block;font-size:1.1rem;letter-spacing:.05em;font-weight:normal}
.en{font-family:Georgia,"Times New Roman",serif}
.declared{font-size:1.1rem;line-height:1.7;margin:.4em 0}
p.en{font-size:.95rem;color:#333}
table.persons{width:100%;border-collapse:collapse;margin:6mm 0}
table.persons th,table.persons td{border-bottom:1px solid #999;padding:.35em .5em;text-align:left;vertical-align:top}
table.persons th .en,td .en,dt .en{display:block;font-size:.8em;color:#444}
td.name{font-size:1.15rem}
.kind{font-size:.8rem;color:#444}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1.2em;margin:4mm 0}
dt{font-weight:bold}dd{margin:0}
pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f6f6f6;padding:.6em;border:1px solid #ccc}
table.persons tfoot td{border:0;padding:4mm 0 0}
table.persons tfoot dl.facts{margin:0 0 2mm}
footer{margin-top:8mm;font-size:.85rem;color:#333}
@page{size:A4;margin:10mm}
@media print{body{background:#fff;padding:0}.screen-only{display:none}
.certificate{max-width:none;min-height:0;margin:0;padding:8mm 12mm;outline:0;box-decoration-break:clone;-webkit-box-decoration-break:clone}
table.persons thead{display:table-header-group}table.persons tfoot{display:table-footer-group}
table.persons tr{break-inside:avoid}
table.persons tfoot td{font-size:.75rem;line-height:1.35;padding-top:2mm}
table.persons tfoot dl.facts{display:flex;flex-wrap:wrap;gap:0 .5em;margin:0}
table.persons tfoot dt .en{display:inline;font-size:1em}table.persons tfoot dd{margin-right:1.2em}
.proof p{margin:.15em 0}pre{background:none;font-size:.6rem;line-height:1.3;margin:.2em 0;padding:.3em .5em}.certificate header{margin-bottom:4mm}footer{break-inside:avoid}}
)css";
}

}  // namespace tuidang::web
