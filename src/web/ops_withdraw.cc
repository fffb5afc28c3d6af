// GET/POST /ops/withdraw (moderator+): a published statement withdrawn by number, for a
// reason that the withdrawal leaf records (docs/log-format.md).
#include "core/text.h"
#include "web/ops_pages.h"

namespace tuidang::web {

Response OpsWithdraw(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  const AppEnv& env = r.env;
  const OpsSession& s = r.session;
  std::string notice;
  if (r.post) {
    auto number = ParseNumber(r.form.GetOr("number"));
    auto reason = ParseWithdrawalReason(r.form.GetOr("reason"));
    if (!number || !reason) {
      notice = ctx.Tr("ops.withdraw.invalid");
    } else if (Status st = AwaitWrite<Status>(
                   [&](Sequencer::Then<Status> then) {
                     // Through the one writer, with its audit entry in its transaction.
                     std::string object = "statement " + std::to_string(*number) + " (" +
                                          std::string(r.form.GetOr("reason")) + ")";
                     return env.sequencer->Withdraw(
                         *number, *reason,
                         [id = s.operator_id, object](int64_t) {
                           return std::vector<AuditEntry>{{0, id, "", "withdrew", object}};
                         },
                         std::move(then));
                   },
                   Status::Fail("stopping"));
               !st) {
      // Still published: the withdrawal (or its audit entry) failed in the store.
      auto still = env.store->GetPublished(*number);
      if (!still || still->has_value()) {
        return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
      }
      notice = ctx.Tr("ops.withdraw.not_found");
    } else {
      notice = ctx.Format("ops.withdraw.done", *number);
    }
  }
  std::string b = "<h1>" + ctx.TrHtml("ops.withdraw.title") + "</h1>";
  if (!notice.empty()) b += "<p id=\"notice\">" + HtmlEscape(notice) + "</p>";
  b += "<form method=\"post\">" + OpsCsrf(s) + "<label for=\"number\">" +
       ctx.TrHtml("ops.withdraw.number") +
       "</label><input type=\"text\" id=\"number\" name=\"number\" inputmode=\"numeric\" "
       "required><label for=\"reason\">" +
       ctx.TrHtml("ops.withdraw.reason") + "</label><select id=\"reason\" name=\"reason\">";
  for (auto reason : {WithdrawalReason::kDanger, WithdrawalReason::kFake,
                      WithdrawalReason::kDuplicate, WithdrawalReason::kDeclarantRequest}) {
    std::string rc(WithdrawalReasonCode(reason));
    b += "<option value=\"" + rc + "\">" + ctx.TrHtml("ops.reason." + rc) + "</option>";
  }
  b += "</select><button class=\"primary\" type=\"submit\">" + ctx.TrHtml("ops.withdraw.button") +
       "</button></form>";
  return OpsPage(ctx, http::status::ok, ctx.Tr("ops.withdraw.title"), b);
}

}  // namespace tuidang::web
