// The console's uploads and sealed data (docs/console.md): CSV sheets imported as by
// `tuidang import`, attachments of the letter, fax and e-mail forms sealed to the office
// key, and an admin's office secret key held for one session to read sealed fields.
#include <set>

#include <sodium.h>

#include "core/text.h"
#include "intake/csv_import.h"
#include "web/ops_pages.h"

namespace tuidang::web {

namespace {

// Attachments per form: a letter's pages, a fax and its cover.
constexpr size_t kMaxAttachments = 5;
// What a sealed attachment starts with, as mail-intake writes it, before the file's bytes.
constexpr std::string_view kAttachmentPrefix = "attachment.";

// A rejected row's reason in the operator's language: the import gives a code and its
// arguments (intake::RejectReason), the catalog the words ("import.reason.<name>").
std::string ReasonText(const PageContext& ctx, const intake::RejectedRow& row) {
  std::string key = "import.reason." + std::string(intake::RejectReasonName(row.reason));
  auto arg = [&](size_t i) -> const std::string& {
    static const std::string kNone;
    return i < row.args.size() ? row.args[i] : kNone;
  };
  switch (row.reason) {
    case intake::RejectReason::kUnknownValue:
    case intake::RejectReason::kTooManyPersons:
    case intake::RejectReason::kBadBytes:
    case intake::RejectReason::kGroupRejected:
    case intake::RejectReason::kBadDate:
    case intake::RejectReason::kFutureDate: return ctx.Format(key, arg(0));
    case intake::RejectReason::kTooManyCells:
    case intake::RejectReason::kTooEarly:
    case intake::RejectReason::kRepeatedRowId: return ctx.Format(key, arg(0), arg(1));
    case intake::RejectReason::kRequired:
    case intake::RejectReason::kTooLong:
    case intake::RejectReason::kInvalidCharacters:
    case intake::RejectReason::kUnterminatedQuote: break;
  }
  return ctx.Tr(key);
}

std::string FieldName(const PageContext& ctx, const std::string& field) {
  static const std::set<std::string> kKnown = {
      "name",    "real_name", "organisations", "region",  "occupation", "text",
      "consent", "place",     "group",         "persons", "day",        "row_id"};
  return kKnown.contains(field) ? ctx.Tr("import.field." + field) : field;
}

}  // namespace

Response OpsPage(const PageContext& ctx, http::status status, std::string_view title,
                 const std::string& body) {
  return HtmlResponse(status, Layout(ctx, title, "<div class=\"ops\">" + body + "</div>"),
                      Caching::kNoStore);
}

std::string OpsCsrf(const OpsSession& s) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + s.csrf + "\">";
}

bool OpsAllows(const OpsSession& s, Role need) {
  return static_cast<int>(s.role) >= static_cast<int>(need);
}

size_t OpsBodyLimit(const AppEnv& env, const Request& req) {
  if (!env.sessions) return kMaxBodyBytes;
  if (!MultipartBoundary(req[http::field::content_type])) return kMaxBodyBytes;
  auto sid = OpsSessionCookie(req);
  if (!sid || !env.sessions->Find(*sid)) return kMaxBodyBytes;
  return kMaxUploadBytes;
}

// ---------------------------------------------------------------------------------------
// CSV sheets

Response OpsImport(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  std::string report;
  http::status status = http::status::ok;
  std::string error;
  if (r.post) {
    const MultipartPart* file = nullptr;
    for (const auto& f : r.files) {
      if (f.name == "file") file = &f;
    }
    auto channel = ParseChannel(r.form.GetOr("channel"));
    std::string encoding(r.form.GetOr("encoding"));
    if (!file || file->data.empty()) {
      error = ctx.Tr("ops.import.no_file");
    } else if (!channel || (*channel != Channel::kPhone && *channel != Channel::kLetter &&
                            *channel != Channel::kSheet)) {
      error = ctx.Tr("ops.enter.channel");
    } else if (encoding != "" && encoding != "utf-8" && encoding != "gb18030" &&
               encoding != "big5") {
      error = ctx.Tr("ops.import.encoding_unknown");
    } else {
      intake::ImportOptions options;
      options.channel = *channel;
      options.operator_id = r.session.operator_id;
      std::string name = file->filename ? *file->filename : "upload.csv";
      if (auto slash = name.find_last_of("/\\"); slash != std::string::npos)
        name.erase(0, slash + 1);
      if (!IsValidUtf8(name) || HasForbiddenCharacter(name, TextKind::kSingleLine) ||
          name.size() > 200) {
        name = "upload.csv";
      }
      options.file_name = name;
      options.encoding = encoding;
      options.dry_run = r.form.GetOr("dry_run") == "1";
      options.partial = r.form.GetOr("partial") == "1";
      options.publish = r.env.options.import_publish_at_once;
      auto result = intake::ImportCsv(file->data, options, r.env.intake);
      if (!result) {
        // The file could not be read as a sheet (no name column, undecodable) or the
        // database failed: nothing was stored.
        error = ctx.Format("ops.import.unreadable", result.error());
        status = http::status::unprocessable_entity;
      } else {
        const intake::ImportReport& rep = *result;
        if (!rep.stored && !options.dry_run) status = http::status::unprocessable_entity;
        report += "<div id=\"import-report\"><p id=\"import-summary\">" +
                  HtmlEscape(ctx.Format("ops.import.summary", name, rep.encoding, rep.rows,
                                        rep.statements, rep.persons, rep.rejected.size())) +
                  "</p>";
        std::string outcome;
        if (options.dry_run) {
          outcome = ctx.Tr("ops.import.dry_run");
        } else if (rep.stored && rep.imported > 0) {
          outcome =
              ctx.Format("ops.import.imported", rep.imported, rep.imported_persons, rep.duplicates);
          if (!options.publish) outcome += " " + ctx.Tr("ops.import.held");
        } else if (!rep.stored && !rep.rejected.empty()) {
          outcome = ctx.Format("ops.import.refused", rep.rejected.size());
        } else {
          outcome = ctx.Format("ops.import.nothing", rep.duplicates);
        }
        report += "<p id=\"import-outcome\">" + HtmlEscape(outcome) + "</p>";
        for (const auto& column : rep.ignored_columns) {
          report += "<p class=\"hint\">" +
                    HtmlEscape(ctx.Format("ops.import.ignored_column", column)) + "</p>";
        }
        if (!rep.rejected.empty()) {
          report += "<table id=\"rejected-rows\"><thead><tr><th>" + ctx.TrHtml("ops.import.line") +
                    "</th><th>" + ctx.TrHtml("ops.import.field") + "</th><th>" +
                    ctx.TrHtml("ops.import.reason") + "</th></tr></thead><tbody>";
          for (const auto& x : rep.rejected) {
            report += "<tr class=\"rejected-row\"><td>" + std::to_string(x.line) + "</td><td>" +
                      HtmlEscape(FieldName(ctx, x.field)) + "</td><td>" +
                      HtmlEscape(ReasonText(ctx, x)) + "</td></tr>";
          }
          report += "</tbody></table>";
        }
        report += "</div>";
      }
    }
    if (!error.empty() && status == http::status::ok) status = http::status::bad_request;
  }
  std::string b = "<h1>" + ctx.TrHtml("ops.import.title") + "</h1>";
  if (!error.empty()) b += "<p class=\"error\" id=\"error-import\">" + HtmlEscape(error) + "</p>";
  b += report;
  b += "<p class=\"hint\">" + HtmlEscape(ctx.Format("ops.import.intro", kMaxUploadBytes >> 20)) +
       "</p>";
  b += "<form method=\"post\" action=\"/ops/import\" enctype=\"multipart/form-data\">" +
       OpsCsrf(r.session) + "<div class=\"field\"><label for=\"file\">" +
       ctx.TrHtml("ops.import.file") +
       "</label><input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,.txt,text/csv\" "
       "required></div>"
       "<div class=\"field\"><label for=\"channel\">" +
       ctx.TrHtml("ops.queue.channel") + "</label><select id=\"channel\" name=\"channel\">";
  for (Channel c : {Channel::kSheet, Channel::kPhone, Channel::kLetter}) {
    std::string code(ChannelCode(c));
    b += "<option value=\"" + code + "\">" + ctx.TrHtml("channel." + code) + "</option>";
  }
  b += "</select></div><div class=\"field\"><label for=\"encoding\">" +
       ctx.TrHtml("ops.import.encoding") +
       "</label><select id=\"encoding\" name=\"encoding\"><option value=\"\">" +
       ctx.TrHtml("ops.import.encoding_auto") +
       "</option><option value=\"utf-8\">UTF-8</option>"
       "<option value=\"gb18030\">GB18030 / GBK</option><option "
       "value=\"big5\">Big5</option></select></div>"
       "<p><label class=\"choice\"><input type=\"checkbox\" name=\"partial\" value=\"1\"> " +
       ctx.TrHtml("ops.import.partial") +
       "</label></p><p><label class=\"choice\"><input "
       "type=\"checkbox\" name=\"dry_run\" value=\"1\"> " +
       ctx.TrHtml("ops.import.dry_run_box") +
       "</label></p><p><button class=\"primary\" type=\"submit\">" +
       ctx.TrHtml("ops.import.button") + "</button></p></form>";
  return OpsPage(ctx, status, ctx.Tr("ops.import.title"), b);
}

// ---------------------------------------------------------------------------------------
// Attachments

bool TakesAttachments(Channel c) {
  return c == Channel::kLetter || c == Channel::kFax || c == Channel::kEmail;
}

std::string AttachmentField(const PageContext& ctx, const AppEnv& env, const std::string& error) {
  std::string b = "<div class=\"field\">";
  if (!env.guard || !env.guard->options().office_key) {
    b += "<p class=\"hint\" id=\"no-attachments\">" + ctx.TrHtml("ops.attach.unavailable") + "</p>";
    if (!error.empty())
      b += "<p class=\"error\" id=\"error-attachment\">" + HtmlEscape(error) + "</p>";
    return b + "</div>";
  }
  b += "<label for=\"attachment\">" + ctx.TrHtml("ops.attach.label") + "</label>";
  if (!error.empty())
    b += "<p class=\"error\" id=\"error-attachment\">" + HtmlEscape(error) + "</p>";
  b += "<input type=\"file\" id=\"attachment\" name=\"attachment\" multiple><p class=\"hint\">" +
       HtmlEscape(ctx.Format("ops.attach.hint", kMaxAttachments, kMaxUploadBytes >> 20)) +
       "</p></div>";
  return b;
}

std::string SealAttachments(const AppEnv& env, const std::vector<MultipartPart>& files,
                            intake::Draft* draft) {
  std::vector<const MultipartPart*> chosen;
  for (const auto& f : files) {
    if (f.name == "attachment" && !f.data.empty()) chosen.push_back(&f);
  }
  if (chosen.empty()) return {};
  if (!env.guard || !env.guard->options().office_key) return "ops.attach.unavailable";
  if (chosen.size() > kMaxAttachments) return "ops.attach.too_many";
  size_t n = 0;
  for (const MultipartPart* f : chosen) {
    // The file's name and type travel sealed with it; a name that is not clean text is
    // dropped rather than guessed at.
    std::string name = f->filename && IsValidUtf8(*f->filename) &&
                               !HasForbiddenCharacter(*f->filename, TextKind::kSingleLine)
                           ? *f->filename
                           : std::string();
    std::string type = IsValidUtf8(f->content_type) &&
                               !HasForbiddenCharacter(f->content_type, TextKind::kSingleLine)
                           ? f->content_type
                           : std::string();
    // Sealed by the intake (Intake::Prepare), which wipes the clear copy.
    draft->private_fields.emplace_back(
        std::string(kAttachmentPrefix) + std::to_string(++n),
        "filename: " + name + "\ncontent-type: " + type + "\n\n" + f->data);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// The office key, unlocked for one admin session

Response OpsUnlock(const OpsRequest& r) {
  const PageContext& ctx = r.ctx;
  if (!OpsAllows(r.session, Role::kAdmin))
    return ErrorPage(ctx, http::status::forbidden, "ops.forbidden");
  if (!r.env.keyring || !r.env.guard || !r.env.guard->options().office_key) {
    return OpsPage(ctx, http::status::not_found, ctx.Tr("ops.unlock.title"),
                   "<h1>" + ctx.TrHtml("ops.unlock.title") + "</h1><p id=\"notice\">" +
                       ctx.TrHtml("ops.unlock.no_key") + "</p>");
  }
  std::string notice;
  http::status status = http::status::ok;
  auto audit = [&](std::string_view action) {
    return r.env.operators->Audit(r.session.operator_id, action, "operator " + r.session.name).ok();
  };
  if (r.post && r.form.GetOr("action") == "lock") {
    // Locking only takes access away: it happens even when its entry cannot be written.
    r.env.keyring->Lock(r.session_id);
    if (!audit("locked office key")) {
      return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    }
    notice = ctx.Tr("ops.unlock.locked");
  } else if (r.post) {
    std::string secret(r.form.GetOr("key"));
    Status s =
        r.env.keyring->Unlock(r.session_id, TrimSpace(secret), *r.env.guard->options().office_key);
    sodium_memzero(secret.data(), secret.size());
    if (!s) {
      if (!audit("failed to unlock office key")) {
        return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
      }
      notice = ctx.Tr("ops.unlock.wrong");
      status = http::status::bad_request;
    } else if (!audit("unlocked office key")) {
      // An unlocking the trail does not record does not stand.
      r.env.keyring->Lock(r.session_id);
      return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    } else {
      notice = ctx.Tr("ops.unlock.done");
    }
  }
  bool unlocked = r.env.keyring->Unlocked(r.session_id);
  std::string b = "<h1>" + ctx.TrHtml("ops.unlock.title") + "</h1>";
  if (!notice.empty()) b += "<p id=\"notice\">" + HtmlEscape(notice) + "</p>";
  b += "<p id=\"unlock-state\">" +
       ctx.TrHtml(unlocked ? "ops.unlock.state_open" : "ops.unlock.state_closed") + "</p>";
  if (unlocked) {
    b += "<form method=\"post\" action=\"/ops/unlock\">" + OpsCsrf(r.session) +
         "<button type=\"submit\" name=\"action\" value=\"lock\">" + ctx.TrHtml("ops.unlock.lock") +
         "</button></form><p><a href=\"/ops/private\">" + ctx.TrHtml("ops.private.title") +
         "</a></p>";
  } else {
    b += "<p class=\"hint\">" + ctx.TrHtml("ops.unlock.intro") +
         "</p><form method=\"post\" "
         "action=\"/ops/unlock\" autocomplete=\"off\">" +
         OpsCsrf(r.session) + "<label for=\"key\">" + ctx.TrHtml("ops.unlock.key") +
         "</label><textarea id=\"key\" name=\"key\" rows=\"3\" "
         "spellcheck=\"false\" required></textarea><button class=\"primary\" type=\"submit\">" +
         ctx.TrHtml("ops.unlock.button") + "</button></form>";
  }
  return OpsPage(ctx, status, ctx.Tr("ops.unlock.title"), b);
}

Response OpsPrivate(const OpsRequest& r, bool file) {
  const PageContext& ctx = r.ctx;
  if (!OpsAllows(r.session, Role::kAdmin))
    return ErrorPage(ctx, http::status::forbidden, "ops.forbidden");
  if (!r.env.keyring || !r.env.keyring->Unlocked(r.session_id)) {
    return OpsPage(ctx, http::status::forbidden, ctx.Tr("ops.private.title"),
                   "<h1>" + ctx.TrHtml("ops.private.title") + "</h1><p id=\"notice\">" +
                       ctx.TrHtml("ops.private.locked") + " <a href=\"/ops/unlock\">" +
                       ctx.TrHtml("ops.unlock.title") + "</a></p>");
  }
  auto id = ParseNumber(r.query.GetOr("id"));
  if (!id) {
    auto list = r.env.store->ListSealed(200);
    if (!list) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
    std::string b = "<h1>" + ctx.TrHtml("ops.private.title") + "</h1><ul id=\"sealed-list\">";
    for (const auto& [sid, status] : *list) {
      std::string n = std::to_string(sid);
      b += "<li><a href=\"/ops/private?id=" + n + "\">" +
           HtmlEscape(ctx.Format("ops.private.statement", n)) + "</a> (" +
           ctx.TrHtml("status." + std::string(StatusCode(status))) + ")</li>";
    }
    b += "</ul>";
    return OpsPage(ctx, http::status::ok, ctx.Tr("ops.private.title"), b);
  }
  auto fields = r.env.store->ReadSealed(*id);
  if (!fields) return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  if (fields->empty()) return ErrorPage(ctx, http::status::not_found, "error.not_found");
  std::string what = "sealed fields of statement " + std::to_string(*id);
  if (file) {
    std::string_view want = r.query.GetOr("field");
    for (const auto& [field, box] : *fields) {
      if (field != want) continue;
      auto plain = r.env.keyring->Open(r.session_id, box);
      if (!plain) return ErrorPage(ctx, http::status::forbidden, "ops.private.cannot_open");
      // Nothing sealed is shown unless the reading is in the trail.
      if (!r.env.operators->Audit(r.session.operator_id, "read sealed",
                                  what + " (" + field + ")")) {
        sodium_memzero(plain->data(), plain->size());
        return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
      }
      // An attachment: "filename: ...\ncontent-type: ...\n\n" then the bytes. Served as
      // a download, never rendered: it came from outside.
      std::string_view data = *plain;
      size_t body = data.find("\n\n");
      if (body != std::string_view::npos &&
          (field.starts_with("attachment.") || field.starts_with("email.attachment"))) {
        data.remove_prefix(body + 2);
      }
      Response res{http::status::ok, 11};
      res.set(http::field::content_type, "application/octet-stream");
      res.set(http::field::content_disposition,
              "attachment; filename=\"statement-" + std::to_string(*id) + "-" + field + ".bin\"");
      res.set(http::field::cache_control, "no-store");
      res.set("X-Content-Type-Options", "nosniff");
      res.body() = std::string(data);
      res.prepare_payload();
      return res;
    }
    return ErrorPage(ctx, http::status::not_found, "error.not_found");
  }
  // Nothing sealed is shown unless the reading is in the trail.
  if (!r.env.operators->Audit(r.session.operator_id, "read sealed", what)) {
    return ErrorPage(ctx, http::status::service_unavailable, "error.storage");
  }
  std::string b =
      "<h1>" + HtmlEscape(ctx.Format("ops.private.statement", *id)) + "</h1><dl id=\"sealed\">";
  for (const auto& [field, box] : *fields) {
    auto plain = r.env.keyring->Open(r.session_id, box);
    b += "<dt>" + HtmlEscape(field) + "</dt><dd>";
    if (!plain) {
      b += ctx.TrHtml("ops.private.cannot_open");
    } else if (field.starts_with("attachment.") || field.starts_with("email.attachment") ||
               field == "email.message") {
      std::string_view head = *plain;
      head = head.substr(0, std::min(head.find("\n\n"), size_t{300}));
      if (field == "email.message") head = {};
      b += "<pre>" + (IsValidUtf8(head) ? HtmlEscape(head) : std::string()) +
           "</pre><a class=\"download\" "
           "href=\"/ops/private/file?id=" +
           std::to_string(*id) + "&amp;field=" + UrlEncode(field) + "\">" +
           ctx.TrHtml("ops.private.download") + "</a> (" + std::to_string(plain->size()) + " B)";
    } else {
      b += IsValidUtf8(*plain) ? HtmlEscape(*plain) : ctx.TrHtml("ops.private.binary");
    }
    b += "</dd>";
    if (plain) sodium_memzero(plain->data(), plain->size());
  }
  b += "</dl>";
  return OpsPage(ctx, http::status::ok, ctx.Tr("ops.private.title"), b);
}

}  // namespace tuidang::web
