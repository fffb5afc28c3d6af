// What every HTML page shares: the language context, the layout around a page's body,
// links (through the context's link builder, web/link_builder.h) and common responses.
// Pages are built as strings: every value that comes from a user goes through HtmlEscape
// (core/text.h); docs/architecture.md, "Rendering", says why no template library.
#pragma once

#include <string>
#include <string_view>

#include "core/statement.h"
#include "web/gzip.h"
#include "web/http.h"
#include "web/i18n.h"
#include "web/link_builder.h"

namespace tuidang::web {

struct PageContext {
  const Catalog& catalog;
  Language lang;
  // The page's path without language prefix and with its query ("/statements?date=..."),
  // for the links to the same page in the other languages.
  std::string path;
  // Where the page's links point: the server's absolute paths unless the export renders.
  // Not owned; outlives the context.
  const LinkBuilder* links = &ServerLinks();
  // The page carries its style sheet and icon inline instead of linking them: the
  // declaration's own pages (form, preview, receipt), where over a slow link (64 kbit/s,
  // 800 ms) the style sheet's extra connection and request cost more than 3 s on a first
  // visit and its bytes about 0.2 s (docs/reach.md, "The slow link").
  bool self_contained = false;

  std::string Tr(std::string_view key) const { return catalog.Tr(lang, key); }
  // Tr() escaped for HTML.
  std::string TrHtml(std::string_view key) const;
  template <typename... Args>
  std::string Format(std::string_view key, Args&&... args) const {
    return catalog.Format(lang, key, std::forward<Args>(args)...);
  }
  // Links from `links`, escaped for an HTML attribute: a page of the site ("/submit") in
  // the current language and in `other`, a file of no language ("/static/site.css"), a page
  // only the live server has ("/search").
  std::string Href(std::string_view path) const;
  std::string HrefIn(Language other, std::string_view path) const;
  std::string FileHref(std::string_view path) const;
  // A static file by its plain name ("site.css"): LinkBuilder::Asset, escaped.
  std::string AssetHref(std::string_view name) const;
  std::string LiveHref(std::string_view path) const;
};

// `path` under `lang`'s prefix. The home page of Simplified Chinese is "/zh-hans/" so that
// following the language link never bounces through the Accept-Language redirect of "/".
// Absolute: what redirects and ServerLinks use.
std::string LocalUrl(Language lang, std::string_view path);

// Wraps `body` (HTML) in the site's layout with `title` (plain text) and the page's
// `description` for search engines and link previews (plain text; empty: the site's).
std::string Layout(const PageContext& ctx, std::string_view title, std::string_view body,
                   std::string_view description = {});

enum class Caching { kNoStore, kShort, kImmutable };
std::string_view CacheControl(Caching caching);
Response HtmlResponse(http::status status, std::string html, Caching caching);
// A cached page (web/page_cache.h), gzipped when `gzip` (the client accepts it); and a page
// compressed once for the cache.
Response CachedHtmlResponse(const CachedBody& page, bool gzip, Caching caching);
CachedBody HtmlPrecompressed(std::string html);
Response TextResponse(http::status status, std::string text, std::string_view content_type,
                      Caching caching);
Response Redirect(std::string_view location);

// Headers every response carries (security, no referrer, no sniffing).
void AddCommonHeaders(Response& res);

// "党、团" style list of a person's organisations, translated.
std::string OrganisationsText(const PageContext& ctx, uint8_t organisations);
// One statement as an <li class="statement">, with a link to its page and, when
// `certificate_link` (the static export, whose entries stand for the statement pages), to
// its certificate.
void AppendStatementItem(const PageContext& ctx, const Statement& s, std::string* out,
                         bool certificate_link = false);
// What a statement publishes besides its number and day (persons, region, occupation,
// text): the item above, and the declaration form's preview, which must show the same.
void AppendStatementBody(const PageContext& ctx, const Statement& s, std::string* out);
// Formats an integer with thousands separators ("458,000,000").
std::string FormatCount(int64_t n);

// The site's only style sheet, served at /static/site.css.
std::string_view SiteCss();
// The Content-Security-Policy source ("'sha256-...'") that admits SiteCss() inline, and
// only it (PageContext::self_contained).
const std::string& InlineStyleSource();

}  // namespace tuidang::web
