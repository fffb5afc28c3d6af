// The abuse gate's place in the web layer (safety/guard.h): 429/503 answers in the user's
// language, the proof-of-work script and challenge resource, the form's sealed contact
// field, and the decision to publish or hold a valid statement.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "safety/client_key.h"
#include "safety/guard.h"
#include "safety/receipt_guard.h"
#include "store/store.h"
#include "web/app.h"
#include "web/page.h"
#include "web/routes.h"

namespace tuidang::web {

// Longest contact a declarant may leave (an e-mail address, a messenger handle, a phone
// number with a note): longer is not a contact.
constexpr size_t kMaxContactChars = 200;

// Applies the route's admission policy before it is served (routes.h): Admission::kSubmit
// for its POSTs, and answers the gate's own routes (the challenge, the script). `path` is
// the route's path (Target::path); `lang` the language of a refusal. Returns true when it
// has answered (429/503, the challenge, the script); `respond` is then consumed.
bool GateRequest(const AppEnv& env, const Request& req, const RouteMatch& match,
                 std::string_view path, Language lang,
                 const std::optional<safety::ClientKey>& client, Responder& respond);

// One use of a receipt code (safety/receipt_guard.h): `code` is the digits, or the text as
// sent when it is not a code. Always allowed without a guard. Call Found() on the result
// once the code was found (else the use counts as a failed look-up).
safety::ReceiptUse AdmitReceiptUse(const AppEnv& env,
                                   const std::optional<safety::ClientKey>& client,
                                   std::string_view code);
// The 429 answer (page or API, in `lang`) for a refused use, with Retry-After. It says the
// same whichever limit refused, and never repeats the code.
Response ReceiptRefused(const AppEnv& env, Language lang, bool api, int64_t retry_after);

// The form's extra fields: the optional contact (only when an office key is configured)
// and the proof-of-work script. `contact_error` is a message or empty.
std::string SubmitSafetyFields(const PageContext& ctx, const AppEnv& env, std::string_view contact,
                               std::string_view contact_error);

// The preview page's proof fields (docs/preview.md): the solution pow.js posted from the
// form when there is one, else a fresh no-script form token (Guard::IssueFormToken) and
// the script, which replaces the token with a solution when JavaScript runs. Empty without
// a gate. `pow_challenge`, `pow_nonce`: as posted (any text: escaped).
std::string PreviewSafetyFields(const PageContext& ctx, const AppEnv& env,
                                std::string_view pow_challenge, std::string_view pow_nonce);

// Seconds until the form token `pow_challenge` may be sent (0: it may, or it is no token).
int64_t FormTokenWait(std::string_view pow_challenge);

// Checks the contact field; returns the message key of its error, or empty.
std::string CheckContact(const AppEnv& env, std::string_view contact);

// The 429/503 answer to a refused admission (Retry-After, a page or API error in `lang`).
Response Refused(const AppEnv& env, Language lang, bool api, std::string_view path,
                 const safety::Admission& a);

// The proof-of-work script (static/pow.js), under 5 KB.
std::string_view PowScript();

}  // namespace tuidang::web
