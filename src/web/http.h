// HTTP types shared by the server and the handlers.
#pragma once

#include <functional>
#include <memory>

#include <boost/beast/http.hpp>

#include "safety/client_key.h"

namespace tuidang::web {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Sends the response for one request. May be called once, from any thread (the server
// moves the write onto the connection's strand).
using Responder = std::function<void(Response)>;

// Limits of the transport, each with its reason.
// A statement with 5,000 characters of text and 50 persons fits in about 30 KiB.
constexpr size_t kMaxBodyBytes = 64 * 1024;
// The console's uploads (a CSV sheet, a scan or fax image): allowed only where the
// application says so (Handler::BodyLimit), for a logged-in operator.
constexpr size_t kMaxUploadBytes = 32u << 20;
// No legitimate client needs more header than this.
constexpr size_t kMaxHeaderBytes = 8 * 1024;

// What the server asks of the application.
class Handler {
 public:
  virtual ~Handler() = default;
  // Handles one complete request; calls `respond` exactly once, now or later.
  virtual void Handle(Request req, Responder respond) = 0;
  // The same, with the client's keyed hash (safety/client_key.h) for rate limits and flood
  // detection; nullopt when clients are not told apart. The server calls this one.
  virtual void Handle(Request req, std::optional<safety::ClientKey> client, Responder respond) {
    Handle(std::move(req), std::move(respond));
  }
  // The most body the request whose header is `header` may send (read before its body):
  // kMaxBodyBytes unless the application allows more, at most kMaxUploadBytes.
  virtual size_t BodyLimit(const Request& header) { return kMaxBodyBytes; }
  // The answer to a request the transport refused (413, 431, 400 on malformed HTTP, 503
  // when overloaded). `target` is the request target when it was read, else empty.
  virtual Response TransportError(http::status status, std::string_view target,
                                  std::string_view accept_language) = 0;
};

}  // namespace tuidang::web
