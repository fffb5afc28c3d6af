// The pages and API resources, each a plain function over parsed input (one file each).
// Functions that store something answer through `respond`, possibly later from the
// sequencer's thread; the others return their response.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web/app.h"
#include "web/form.h"
#include "web/page.h"

namespace tuidang::web {

// home.cc
Response HomePage(const PageContext& ctx, const AppEnv& env);

// submit.cc
Response SubmitFormPage(const PageContext& ctx);
// Handles POST /submit with an urlencoded `body`.
void SubmitPost(const PageContext& ctx, const AppEnv& env, std::string_view body,
                Responder respond);

// receipt.cc
Response ReceiptPage(const PageContext& ctx, const AppEnv& env, std::string_view code);
// GET /receipt?code=...: redirects to /receipt/<code>.
Response ReceiptLookup(const PageContext& ctx, const Form& query);

// statements.cc
Response DayListPage(const PageContext& ctx, const AppEnv& env, const Form& query);
Response StatementPage(const PageContext& ctx, const AppEnv& env, std::string_view number);

// log.cc: the transparency log under /log/.
Response LogCheckpoint(const AppEnv& env);
// `path` is what follows "/log/" ("tile/0/x001/234.p/7"); `gzip`: the client accepts it.
Response LogTile(const AppEnv& env, std::string_view path, bool gzip);
Response LogPage(const PageContext& ctx, const AppEnv& env);
// The C2SP tlog-proof of leaf `index` against the latest checkpoint; an error when the
// leaf is not yet in a checkpoint.
Result<std::string> ProofText(const AppEnv& env, uint64_t index);
// GET /receipt/<code>/proof: the proof as a download.
Response ReceiptProof(const PageContext& ctx, const AppEnv& env, std::string_view code);

// search.cc
Response SearchPage(const PageContext& ctx, const AppEnv& env, const Form& query);

// A page in the site's layout for errors ("not found", "bad request").
Response ErrorPage(const PageContext& ctx, http::status status, std::string_view message_key);

// api.cc: `lang` is the caller's language for error messages.
void ApiPostStatement(const AppEnv& env, Language lang, const Request& req, Responder respond);
Response ApiGetStatement(const AppEnv& env, Language lang, std::string_view number);
Response ApiListStatements(const AppEnv& env, Language lang, const Form& query);
Response ApiGetReceipt(const AppEnv& env, Language lang, std::string_view code);
Response ApiStats(const AppEnv& env);
Response ApiError(const Catalog& catalog, Language lang, http::status status,
                  std::string_view code, std::string_view message_key);

// Parses a positive decimal number without sign or leading zeros, at most 18 digits.
std::optional<int64_t> ParseNumber(std::string_view s);

}  // namespace tuidang::web
