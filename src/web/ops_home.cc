// GET /ops: the console's home, with the pages the operator's role may use.
#include "core/text.h"
#include "web/ops_pages.h"

namespace tuidang::web {

Response OpsHome(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  const OpsSession& s = r.session;
  std::string b = "<h1>" + ctx.TrHtml("ops.home.title") + "</h1><p id=\"whoami\">" +
                  HtmlEscape(ctx.Format("ops.home.whoami", s.name,
                                        ctx.Tr("ops.role." + std::string(RoleCode(s.role))))) +
                  "</p><h2>" + ctx.TrHtml("ops.enter.title") + "</h2><ul>";
  for (Channel c : kOpsChannels) {
    std::string code(ChannelCode(c));
    b += "<li><a href=\"/ops/enter?channel=" + code + "\">" + ctx.TrHtml("channel." + code) +
         "</a></li>";
  }
  b += "</ul><ul><li><a href=\"/ops/import\">" + ctx.TrHtml("ops.import.title") + "</a></li>";
  if (OpsAllows(s, Role::kModerator)) {
    b += "<li><a href=\"/ops/queue\">" + ctx.TrHtml("ops.queue.title") + "</a></li>";
    b += "<li><a href=\"/ops/withdraw\">" + ctx.TrHtml("ops.withdraw.title") + "</a></li>";
  }
  if (OpsAllows(s, Role::kAdmin)) {
    b += "<li><a href=\"/ops/audit\">" + ctx.TrHtml("ops.audit.title") + "</a></li>";
    b += "<li><a href=\"/ops/unlock\">" + ctx.TrHtml("ops.unlock.title") + "</a></li>";
    b += "<li><a href=\"/ops/private\">" + ctx.TrHtml("ops.private.title") + "</a></li>";
  }
  b += "</ul><form method=\"post\" action=\"/ops/logout\">" + OpsCsrf(s) +
       "<button type=\"submit\">" + ctx.TrHtml("ops.logout") + "</button></form>";
  return OpsPage(ctx, http::status::ok, ctx.Tr("ops.home.title"), b);
}

}  // namespace tuidang::web
