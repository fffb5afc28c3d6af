// The console's moderation queue (docs/console.md): held statements one page at a time,
// oldest first, paged by keyset (?after=ID, ?before=ID) so that a page costs the same at
// ten held statements and at a flood of a million; filters by channel and day; approval and
// rejection of the selected statements, of those on the page with the same text, or of a
// whole flood group of the abuse gate.
#include <map>
#include <optional>

#include "core/text.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// Held statements per page: what a moderator reads before acting (about 30 KB of HTML with
// texts cut at 300 bytes). 9,619 held statements on one page made 2.1 MB.
constexpr int kQueuePageSize = 100;
// The count above the queue stops here ("100000+"): counting costs one index step per held
// statement, on every view of the queue.
constexpr int64_t kMaxHeldCounted = 100000;

// The held statements among `ids` that `approver` may approve: those in `held` (what the
// queue showed, or the flood group) that they did not enter themselves, since a held
// operator's statement waits for a second operator (docs/console.md). Returns how many of
// their own were left out in *own.
std::vector<int64_t> ApprovableBy(const std::vector<HeldEntry>& held,
                                  const std::vector<int64_t>& ids, int64_t approver, size_t* own) {
  std::map<int64_t, int64_t> entered_by;
  for (const auto& h : held) entered_by[h.id] = h.operator_id;
  std::vector<int64_t> out;
  *own = 0;
  for (int64_t id : ids) {
    auto it = entered_by.find(id);
    if (it == entered_by.end()) continue;  // not held (any more), or not shown: not checked
    if (it->second != 0 && it->second == approver) {
      ++*own;
      continue;
    }
    out.push_back(id);
  }
  return out;
}

std::vector<HeldEntry> Entries(const std::vector<Statement>& held) {
  std::vector<HeldEntry> out;
  for (const auto& st : held) out.push_back({st.id, st.operator_id});
  return out;
}

// One page of the queue and whether there are held statements (matching the filters)
// before and after it.
struct QueuePage {
  std::vector<Statement> held;
  bool has_previous = false, has_next = false;
  int64_t previous_before = 0, next_after = 0;  // the links' bounds
};

Result<bool> AnyHeld(ModerationStore& store, HeldFilter filter) {
  filter.limit = 1;
  auto one = store.ListHeld(filter);
  if (!one) return Error{one.error()};
  return !one->empty();
}

// The page `bounds` asks for: kQueuePageSize statements above bounds.after, or below
// bounds.before.
Result<QueuePage> LoadPage(ModerationStore& store, const HeldFilter& bounds) {
  QueuePage page;
  HeldFilter f = bounds;
  f.limit = kQueuePageSize + 1;  // one more tells whether there is a further page
  auto held = store.ListHeld(f);
  if (!held) return Error{held.error()};
  bool more = held->size() > static_cast<size_t>(kQueuePageSize);
  if (more && bounds.before) held->erase(held->begin());
  if (more && !bounds.before) held->pop_back();
  page.held = std::move(*held);
  // Where the neighbouring pages start: around what is shown, or (an empty page, its
  // statements moderated meanwhile) around the bounds asked for.
  page.previous_before = !page.held.empty() ? page.held.front().id
                         : bounds.before    ? *bounds.before
                                            : bounds.after + 1;
  page.next_after = !page.held.empty() ? page.held.back().id
                    : bounds.before    ? *bounds.before - 1
                                       : bounds.after;
  // Fetching one more than a page tells whether there is a further page on the side read;
  // the other side is asked (one row) unless this is the first page.
  HeldFilter around = bounds;
  around.after = 0;
  around.before.reset();
  if (bounds.before) {
    page.has_previous = more;
    around.after = page.next_after;
  } else {
    page.has_next = more;
    if (bounds.after > 0) around.before = page.previous_before;
  }
  if (bounds.before || bounds.after > 0) {
    auto any = AnyHeld(store, around);
    if (!any) return Error{any.error()};
    (bounds.before ? page.has_next : page.has_previous) = *any;
  }
  return page;
}

// Approves or rejects what the form names on the page shown (`page`): ticked statements,
// the page's statements with one text, or a flood group across pages. Sets *notice; an
// error page when the action is unknown or the store failed.
std::optional<Response> ActOnQueue(const OpsRequest& r, const QueuePage& page,
                                   std::string* notice) {
  const PageContext& ctx = r.ctx;
  const OpsSession& s = r.session;
  ModerationStore& moderation = *r.env.moderation;
  std::string action(r.form.GetOr("action"));
  std::vector<int64_t> ids;
  std::vector<HeldEntry> shown = Entries(page.held);
  std::string same_text(r.form.GetOr("same_text"));
  std::string group(r.form.GetOr("group"));
  if (!group.empty()) {
    // A flood group of the abuse gate (Store::ListHeldGroups), across every filter and page.
    auto in_group = moderation.HeldInGroup(group);
    if (!in_group) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    shown = std::move(*in_group);
    for (const auto& h : shown) ids.push_back(h.id);
  } else if (!same_text.empty()) {
    // The statements with this text on the page shown.
    for (const auto& st : page.held) {
      if (FoldName(st.text) == same_text) ids.push_back(st.id);
    }
  } else {
    for (auto v : r.form.All("id")) {
      if (auto n = ParseNumber(v)) ids.push_back(*n);
    }
  }
  if (action == "approve") {
    size_t own = 0;
    ids = ApprovableBy(shown, ids, s.operator_id, &own);
    // Through the one writer; each number given has its entry in the same transaction.
    auto numbers = AwaitWrite<Result<std::vector<int64_t>>>(
        [&](auto then) {
          return r.env.sequencer->Approve(
              ids,
              [id = s.operator_id](const std::vector<int64_t>& given) {
                std::vector<AuditEntry> entries;
                for (int64_t n : given) {
                  entries.push_back({0, id, "", "approved", "statement " + std::to_string(n)});
                }
                return entries;
              },
              std::move(then));
        },
        Error{"stopping"});
    if (!numbers) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    *notice = ctx.Format("ops.queue.approved", numbers->size());
    if (own > 0) *notice += " " + ctx.Format("ops.queue.own_skipped", own);
  } else if (action == "reject") {
    auto n = AwaitWrite<Result<int64_t>>(
        [&](auto then) {
          return r.env.sequencer->Reject(
              ids,
              [id = s.operator_id, ids](int64_t) {
                std::vector<AuditEntry> entries;
                for (int64_t held : ids) {
                  entries.push_back(
                      {0, id, "", "rejected", "held statement " + std::to_string(held)});
                }
                return entries;
              },
              std::move(then));
        },
        Error{"stopping"});
    if (!n) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    // rejected_retention_hours = 0: nothing of them stays, not even the row. Best effort:
    // the periodic purge takes what this one leaves.
    if (r.env.options.rejected_retention_hours == 0) {
      (void)AwaitWrite<Result<int64_t>>(
          [&](auto then) { return r.env.sequencer->PurgeRejected(0, std::move(then)); },
          Error{"stopping"});
    }
    *notice = ctx.Format("ops.queue.rejected", *n);
  } else {
    return ErrorPage(ctx, http::status::bad_request, "error.bad_request");
  }
  return std::nullopt;
}

}  // namespace

Response OpsQueue(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  const OpsSession& s = r.session;
  ModerationStore& moderation = *r.env.moderation;
  if (!OpsAllows(s, Role::kModerator))
    return ErrorPage(ctx, http::status::forbidden, "ops.forbidden");
  HeldFilter filter;
  std::string channel_code(r.query.GetOr("channel")), date(r.query.GetOr("date"));
  if (auto c = ParseChannel(channel_code)) filter.channel = c;
  else channel_code.clear();
  if (auto d = ParseDay(date)) filter.day = d;
  else date.clear();
  // The page: a form posts to the page's own URL, so an action sees the same bounds.
  if (auto after = ParseNumber(r.query.GetOr("after")); after && *after > 0) filter.after = *after;
  if (auto before = ParseNumber(r.query.GetOr("before")); before && *before > 0)
    filter.before = *before;
  if (filter.before) filter.after = 0;
  auto page = LoadPage(moderation, filter);
  if (!page) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  std::string notice;
  if (r.post) {
    if (auto error = ActOnQueue(r, *page, &notice)) return std::move(*error);
    page = LoadPage(moderation, filter);
    if (!page) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  }
  auto count = moderation.CountHeld(filter, kMaxHeldCounted);
  if (!count) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");

  std::string b = "<h1>" + ctx.TrHtml("ops.queue.title") + "</h1>";
  if (!notice.empty()) b += "<p id=\"notice\">" + HtmlEscape(notice) + "</p>";
  // Filters: a plain GET form, no script needed.
  b += "<form method=\"get\" action=\"/ops/queue\" class=\"filters\"><label for=\"f-channel\">" +
       ctx.TrHtml("ops.queue.channel") +
       "</label><select id=\"f-channel\" name=\"channel\"><option value=\"\">" +
       ctx.TrHtml("ops.queue.all_channels") + "</option>";
  for (Channel c : {Channel::kWeb, Channel::kPhone, Channel::kLetter, Channel::kFax,
                    Channel::kEmail, Channel::kPoster, Channel::kSheet}) {
    std::string code(ChannelCode(c));
    b += "<option value=\"" + code + "\"" + (code == channel_code ? " selected" : "") + ">" +
         ctx.TrHtml("channel." + code) + "</option>";
  }
  b += "</select><label for=\"f-date\">" + ctx.TrHtml("ops.queue.day") +
       "</label><input type=\"date\" "
       "id=\"f-date\" name=\"date\" value=\"" +
       HtmlEscape(date) + "\"><button type=\"submit\">" + ctx.TrHtml("ops.queue.filter") +
       "</button></form>";
  std::string counted =
      *count >= kMaxHeldCounted ? std::to_string(kMaxHeldCounted) + "+" : std::to_string(*count);
  b += "<p id=\"held-count\">" + HtmlEscape(ctx.Format("ops.queue.count", counted)) + " " +
       HtmlEscape(ctx.Format("ops.queue.on_page", page->held.size())) + "</p>";
  // The abuse gate's flood groups (similar names or texts, bursts): one click for all.
  if (auto groups = r.env.store->ListHeldGroups(); groups && !groups->empty()) {
    b += "<h2>" + ctx.TrHtml("ops.queue.groups") + "</h2><table id=\"flood-groups\"><tbody>";
    for (const auto& g : *groups) {
      b += "<tr><td>" + HtmlEscape(ctx.Format("ops.queue.flood_group", g.statements)) +
           "</td><td>" + HtmlEscape(g.reason) + "</td><td>" + FormatDay(g.first_day) + " – " +
           FormatDay(g.last_day) + "</td><td><form method=\"post\" class=\"group\">" + OpsCsrf(s) +
           "<input type=\"hidden\" name=\"group\" value=\"" + HtmlEscape(g.group) +
           "\"><button name=\"action\" value=\"reject\">" + ctx.TrHtml("ops.queue.reject_all") +
           "</button> <button name=\"action\" value=\"approve\">" +
           ctx.TrHtml("ops.queue.approve_all") + "</button></form></td></tr>";
    }
    b += "</tbody></table>";
  }
  // Held statements of this page with the same text (after folding) are grouped too, so
  // that a flood of one message is rejected with one click per page.
  std::map<std::string, size_t> same;
  for (const auto& st : page->held) same[FoldName(st.text)]++;
  for (const auto& [text, n] : same) {
    if (n < 2 || text.empty()) continue;
    b += "<form method=\"post\" class=\"group\">" + OpsCsrf(s) +
         "<input type=\"hidden\" name=\"same_text\" value=\"" + HtmlEscape(text) + "\"><p>" +
         HtmlEscape(ctx.Format("ops.queue.group", n)) + " <q>" + HtmlEscape(text.substr(0, 120)) +
         "</q> <button name=\"action\" value=\"reject\">" + ctx.TrHtml("ops.queue.reject_all") +
         "</button></p></form>";
  }
  b += "<form method=\"post\">" + OpsCsrf(s) + "<table><thead><tr><th></th><th>" +
       ctx.TrHtml("ops.queue.channel") + "</th><th>" + ctx.TrHtml("ops.queue.day") + "</th><th>" +
       ctx.TrHtml("form.name") + "</th><th>" + ctx.TrHtml("ops.enter.text") +
       "</th></tr></thead><tbody>";
  for (const auto& st : page->held) {
    std::string id = std::to_string(st.id);
    bool own = st.operator_id != 0 && st.operator_id == s.operator_id;
    b += "<tr id=\"held-" + id + "\"" + (own ? " class=\"own\"" : "") +
         "><td><input type=\"checkbox\" name=\"id\" value=\"" + id + "\"></td><td>" +
         ctx.TrHtml("channel." + std::string(ChannelCode(st.channel))) + "</td><td>" +
         FormatDay(st.day) + "</td><td>";
    for (const auto& p : st.persons) b += HtmlEscape(p.name) + " ";
    b += "</td><td>" + HtmlEscape(st.text.substr(0, 300));
    if (own) b += " <em>" + ctx.TrHtml("ops.queue.yours") + "</em>";
    if (OpsAllows(s, Role::kAdmin)) {
      b += " <a href=\"/ops/private?id=" + id + "\">" + ctx.TrHtml("ops.queue.sealed") + "</a>";
    }
    b += "</td></tr>";
  }
  b += "</tbody></table><button name=\"action\" value=\"approve\">" +
       ctx.TrHtml("ops.queue.approve") + "</button> <button name=\"action\" value=\"reject\">" +
       ctx.TrHtml("ops.queue.reject") + "</button></form>";
  // Plain links to the neighbouring pages, with the filters (no script needed).
  std::string filters;
  if (filter.channel) filters += "channel=" + std::string(ChannelCode(*filter.channel)) + "&amp;";
  if (filter.day) filters += "date=" + FormatDay(*filter.day) + "&amp;";
  if (page->has_previous || page->has_next) {
    b += "<nav class=\"pages\" id=\"queue-pages\">";
    if (page->has_previous) {
      b += "<a id=\"queue-previous\" rel=\"prev\" href=\"/ops/queue?" + filters +
           "before=" + std::to_string(page->previous_before) + "\">" +
           ctx.TrHtml("ops.queue.previous") + "</a> ";
    }
    if (page->has_next) {
      b += "<a id=\"queue-next\" rel=\"next\" href=\"/ops/queue?" + filters +
           "after=" + std::to_string(page->next_after) + "\">" + ctx.TrHtml("ops.queue.next") +
           "</a>";
    }
    b += "</nav>";
  }
  return OpsPage(ctx, http::status::ok, ctx.Tr("ops.queue.title"), b);
}

}  // namespace tuidang::web
