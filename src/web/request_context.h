// One request as the handler of its route sees it: who asks (language, client key), what
// (route, capture, query, the HTTP request itself), in which words (the page context's
// catalog) and the services to answer with. App builds one per request (app.cc); it replaces
// the (page context, services, query, client, offset-cut code) parameters every handler used
// to take one by one. A test builds one from a Request without a socket.
#pragma once

#include <optional>
#include <string_view>

#include "safety/client_key.h"
#include "web/app.h"
#include "web/form.h"
#include "web/page.h"
#include "web/routes.h"

namespace tuidang::web {

// Valid only during the handler's call: every member is borrowed from the caller. A handler
// that answers later (from the sequencer's or the hashing pool's thread) copies what it
// keeps, as it did before.
struct RequestContext {
  // Catalog, language and the path of the language links (with the query on public pages).
  const PageContext& page;
  // The services (not owned; they outlive the App).
  const AppEnv& env;
  const Request& http;  // method, headers, body
  const Route& route;
  std::string_view capture;  // what the route's {name} stood for, undecoded; "" when none
  const Form& query;
  const std::optional<safety::ClientKey>& client;

  bool post() const { return http.method() == http::verb::post; }
};

}  // namespace tuidang::web
