// GET /ops/audit (admin): the operators' audit trail, newest first.
#include "core/text.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// Entries the page shows: a few days of a busy center's actions.
constexpr int kAuditEntriesShown = 500;

}  // namespace

Response OpsAudit(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  if (!OpsAllows(r.session, Role::kAdmin))
    return ErrorPage(ctx, http::status::forbidden, "ops.forbidden");
  auto trail = r.env.operators->AuditTrail(kAuditEntriesShown);
  if (!trail) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  std::string b = "<h1>" + ctx.TrHtml("ops.audit.title") + "</h1><table id=\"audit\"><tbody>";
  for (const auto& e : *trail) {
    b += "<tr><td>" + FormatDay(e.day) + "</td><td>" + HtmlEscape(e.operator_name) + "</td><td>" +
         HtmlEscape(e.action) + "</td><td>" + HtmlEscape(e.object) + "</td></tr>";
  }
  b += "</tbody></table>";
  return OpsPage(ctx, http::status::ok, ctx.Tr("ops.audit.title"), b);
}

}  // namespace tuidang::web
