// The operators' console (issue 4): ops_router.cc checks the session, the CSRF token and
// the operator's action limit and hands each route to its page, one file each:
// ops_setup.cc, ops_login.cc (login, logout), ops_home.cc, ops_enter.cc (the channels'
// forms), ops_withdraw.cc, ops_audit.cc, ops_queue.cc (the moderation queue) and
// ops_upload.cc (CSV upload, attachments, the admin's unlocked office key and the sealed
// fields it opens). Passwords, TOTP and sessions: ops_auth.h. docs/console.md describes
// every page.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/multipart.h"
#include "web/pages.h"

namespace tuidang::web {

// The channels an operator enters (/ops/enter?channel=), in the home page's order.
inline constexpr Channel kOpsChannels[] = {Channel::kPhone, Channel::kLetter, Channel::kFax,
                                           Channel::kEmail, Channel::kPoster, Channel::kSheet};
// Further persons an operator can enter on one form (a family, an association).
inline constexpr size_t kOpsRows = 10;

// One console request once the operator's session and CSRF token were checked.
struct OpsRequest {
  const PageContext& ctx;
  const AppEnv& env;
  const OpsSession& session;
  const std::string& session_id;  // the cookie's value: the keyring's key
  bool post = false;
  const Form& form;  // the POST body's fields (empty for GET)
  const Form& query;
  std::vector<MultipartPart>& files;  // uploaded files of a multipart POST
};

// A console page: the site's layout, never cached.
Response OpsPage(const PageContext& ctx, http::status status, std::string_view title,
                 const std::string& body);
// The console session id from the request's cookie, if it carries one.
std::optional<std::string> OpsSessionCookie(const Request& req);
// The session's CSRF token as a hidden field, for every form.
std::string OpsCsrf(const OpsSession& s);
bool OpsAllows(const OpsSession& s, Role need);

// The body limit of a POST to a route that takes uploads (Body::kUpload, Handler::BodyLimit):
// kMaxUploadBytes for a multipart POST by a logged-in operator, kMaxBodyBytes otherwise.
size_t OpsBodyLimit(const AppEnv& env, const Request& req);

// Pages before a session: GET/POST /ops/setup?token= (a new account's password and second
// factor; `form` is the POST's fields, empty for a GET) and POST /ops/login. Both answer
// from OpsAuth's hashing pool, or at once when it is full.
void OpsSetup(const RequestContext& rq, const Form& form, Responder respond);
void OpsLogin(const RequestContext& rq, const Form& form, Responder respond);
// The login form for a request without a live session: 200 on the console's home, else 401
// saying the session expired.
Response OpsLoginPage(const PageContext& ctx, bool home);
// POST /ops/logout: ends the session and locks its office key.
Response OpsLogout(const OpsRequest& r);
// GET /ops: the pages this operator's role may use.
Response OpsHome(const OpsRequest& r);
// GET/POST /ops/enter?channel=: a statement entered for a channel (phone, letter, ...),
// with up to kOpsRows further persons; queued through the sequencer, answered from there.
void OpsEnter(const OpsRequest& r, Responder respond);
// GET/POST /ops/withdraw (moderator+): a published statement withdrawn by number.
Response OpsWithdraw(const OpsRequest& r);
// GET /ops/audit (admin): the latest 500 entries of the operators' audit trail.
Response OpsAudit(const OpsRequest& r);

// GET/POST /ops/queue (moderator+): one page of held statements (?after=ID, ?before=ID,
// ?channel=, ?date=) and the approval or rejection of some, of those on the page with the
// same text, or of a flood group (ops_queue.cc).
Response OpsQueue(const OpsRequest& r);
// GET/POST /ops/import: a CSV sheet uploaded and imported as by `tuidang import`.
Response OpsImport(const OpsRequest& r);
// GET/POST /ops/unlock, POST /ops/lock: an admin's office secret key for this session.
Response OpsUnlock(const OpsRequest& r);
// GET /ops/private?id=N: the sealed fields of statement N (admin, unlocked);
// GET /ops/private/file?id=N&field=F: one sealed attachment as a download.
Response OpsPrivate(const OpsRequest& r, bool file);

// Attachments of the letter, fax and e-mail forms.
bool TakesAttachments(Channel c);
// The form's file field, or the note that attachments cannot be kept (no office key).
std::string AttachmentField(const PageContext& ctx, const AppEnv& env, const std::string& error);
// Adds every non-empty uploaded "attachment" to draft->private_fields ("attachment.1",
// ...), which the intake seals to the office key. Returns the message key of the error (no
// office key, too many files) or empty; on error nothing is added.
std::string SealAttachments(const AppEnv& env, const std::vector<MultipartPart>& files,
                            intake::Draft* draft);

}  // namespace tuidang::web
