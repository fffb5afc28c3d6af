// The center's own pages, /about, /privacy and /safety (docs/center-pages.md): Markdown
// rendered by cmark. An administrator edits them without rebuilding, as
// <data>/pages/<name>.<language code>.md ("about.zh-hans.md"); a page without its file
// shows the default compiled in from src/web/center_pages/. Under /about and /safety, the
// onion address and the site's copies from tuidang.toml (onion_address, site_mirrors).
#include <cmark.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "core/text.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

struct DefaultPage {
  std::string_view name, lang, markdown;
};

constexpr DefaultPage kDefaultPages[] = {
#include "center_pages_data.inc"
};

// Longer than any page a person reads: a bigger file is a mistake (a copied binary), not
// a page, and is not rendered.
constexpr size_t kMaxPageBytes = 64 * 1024;

std::string_view DefaultMarkdown(std::string_view name, Language lang) {
  for (const DefaultPage& p : kDefaultPages) {
    if (p.name == name && p.lang == LanguageCode(lang)) return p.markdown;
  }
  return {};
}

// The administrator's file for the page, when there is a readable one.
std::optional<std::string> PageFile(const std::string& dir, std::string_view name, Language lang) {
  if (dir.empty()) return std::nullopt;
  std::string path = dir + "/" + std::string(name) + "." + std::string(LanguageCode(lang)) + ".md";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  std::string md = text.str();
  if (md.size() > kMaxPageBytes || !IsValidUtf8(md)) {
    // Said once per request in the server's log, without the text; the default is shown.
    spdlog::warn("center page {}: over {} bytes or not UTF-8, showing the default", path,
                 kMaxPageBytes);
    return std::nullopt;
  }
  return md;
}

// The pages, their titles and descriptions (literal keys, so that the catalogs' check
// sees them).
struct CenterPageKeys {
  std::string_view name, title, description;
};
constexpr CenterPageKeys kPages[] = {
    {"about", "center.about", "meta.center.about"},
    {"privacy", "center.privacy", "meta.center.privacy"},
    {"safety", "center.safety", "meta.center.safety"},
};

struct NodeFree {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};

// The center's other addresses (its onion service, the copies of the site) from the
// configuration, under the Markdown of /about and /safety; empty when none is configured.
// The values were checked by the configuration (cli/config_addresses.h) and are escaped
// all the same.
std::string AddressesHtml(const PageContext& ctx, const AppOptions& options) {
  if (options.onion_address.empty() && options.site_mirrors.empty()) return {};
  auto link = [](std::string_view url, std::string_view text) {
    return "<a href=\"" + HtmlEscape(url) + "\"><code>" + HtmlEscape(text) + "</code></a>";
  };
  std::string b =
      "<section id=\"addresses\" aria-labelledby=\"addresses-title\"><h2 "
      "id=\"addresses-title\">" +
      ctx.TrHtml("center.addresses") + "</h2>";
  if (!options.onion_address.empty()) {
    std::string_view host = options.onion_address;
    host.remove_prefix(host.find("://") + 3);
    host.remove_suffix(1);  // the final "/"
    b += "<p id=\"onion\">" + ctx.TrHtml("center.onion") + " " + link(options.onion_address, host) +
         "</p>";
  }
  if (!options.site_mirrors.empty()) {
    b += "<p>" + ctx.TrHtml("center.mirrors") + "</p><ul id=\"site-mirrors\">";
    for (const std::string& url : options.site_mirrors) b += "<li>" + link(url, url) + "</li>";
    b += "</ul>";
  }
  return b + "</section>";
}

}  // namespace

std::string MarkdownHtml(std::string_view markdown) {
  std::unique_ptr<cmark_node, NodeFree> doc(
      cmark_parse_document(markdown.data(), markdown.size(), CMARK_OPT_DEFAULT));
  // Images become links to them: a public page loads nothing from another origin
  // (DESIGN.md), and an administrator's page could name any.
  std::vector<cmark_node*> images;
  cmark_iter* it = cmark_iter_new(doc.get());
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    cmark_node* n = cmark_iter_get_node(it);
    if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_IMAGE) {
      images.push_back(n);
    }
  }
  cmark_iter_free(it);
  for (cmark_node* image : images) {
    cmark_node* link = cmark_node_new(CMARK_NODE_LINK);
    cmark_node_set_url(link, cmark_node_get_url(image));
    while (cmark_node* child = cmark_node_first_child(image)) {
      cmark_node_unlink(child);
      cmark_node_append_child(link, child);
    }
    cmark_node_replace(image, link);
    cmark_node_free(image);
  }
  // Without CMARK_OPT_UNSAFE, cmark drops raw HTML and javascript:, vbscript:, file: and
  // data: links: the administrator writes text, not markup.
  char* html = cmark_render_html(doc.get(), CMARK_OPT_DEFAULT);
  std::string out(html);
  std::free(html);
  return out;
}

Response CenterPage(const RequestContext& rq) {
  const PageContext& ctx = rq.page;
  std::string_view name = rq.route.pattern.substr(1);  // "/about" -> "about"
  const CenterPageKeys* keys = &kPages[0];
  for (const CenterPageKeys& k : kPages) {
    if (k.name == name) keys = &k;
  }
  std::optional<std::string> file = PageFile(rq.env.options.pages_dir, name, ctx.lang);
  std::string_view markdown = file ? std::string_view(*file) : DefaultMarkdown(name, ctx.lang);
  std::string body = "<article class=\"center-page\" id=\"center-page\">" + MarkdownHtml(markdown) +
                     (name == "privacy" ? std::string() : AddressesHtml(ctx, rq.env.options)) +
                     "</article>";
  return HtmlResponse(http::status::ok,
                      Layout(ctx, ctx.Tr(keys->title), body, ctx.Tr(keys->description)),
                      Caching::kShort);
}

}  // namespace tuidang::web
