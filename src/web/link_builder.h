// How a page links to the rest of the site, so that one rendering serves both the server
// and the static export: the server links by absolute path ("/en/stats", ServerLinks), the
// export by a path relative to the file it writes (export/links.h, ExportLinks). A page
// never writes a link of its own; it asks PageContext (web/page.h), which asks this.
// Links are URLs, not yet escaped for HTML: PageContext's Href functions escape them.
#pragma once

#include <string>
#include <string_view>

#include "web/i18n.h"

namespace tuidang::web {

// Implementations are immutable once built and so may be shared by threads.
class LinkBuilder {
 public:
  virtual ~LinkBuilder() = default;
  // A page of the public site in `lang`. `path` has no language prefix and may carry a
  // query, unescaped ("/statements?date=2026-11-23&page=2").
  virtual std::string Page(Language lang, std::string_view path) const = 0;
  // A file that is the same in every language: "/static/site.css", "/log/checkpoint",
  // "/stats.csv", "/api/v1/stats".
  virtual std::string File(std::string_view path) const = 0;
  // A static file of the site by its plain name ("site.css", web/static_files.h): the
  // server links its versioned URL ("/static/site.1a2b3c4d.css"), cached for good; the
  // export its plain file, so that the pages it carries over from earlier exports find it
  // whatever its content has become.
  virtual std::string Asset(std::string_view name) const = 0;
  // A page that only the live server has (search, receipts, the forms that post), in
  // `lang`: a static copy points it to a live address.
  virtual std::string Live(Language lang, std::string_view path) const = 0;
};

// The server's links: absolute paths on its own origin (LocalUrl). Lives as long as the
// program.
const LinkBuilder& ServerLinks();

}  // namespace tuidang::web
