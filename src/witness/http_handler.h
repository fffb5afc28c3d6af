// The witness's HTTP interface on the project's Beast server (web/server.h), with the same
// prefix for submission and monitoring:
//
//   POST /add-checkpoint              c2sp.org/tlog-witness add-checkpoint
//   GET  /<hex sha256(origin)>/checkpoint   the monitoring endpoint
//   GET  /healthz                     "ok", for supervisors and benchmarks
//
// Errors are one line of plain English text: the clients are logs' software and their
// operators, as for /log/ (docs/witness.md). Thread-safe as the Witness is.
#pragma once

#include <string_view>

#include "web/http.h"
#include "witness/witness.h"

namespace tuidang::witness {

class WitnessHandler : public web::Handler {
 public:
  // `witness` must outlive the handler.
  explicit WitnessHandler(Witness* witness) : witness_(witness) {}

  void Handle(web::Request req, web::Responder respond) override;
  web::Response TransportError(web::http::status status, std::string_view target,
                               std::string_view accept_language) override;

  // The answer to one request, for tests without a socket.
  web::Response Answer(const web::Request& req);

 private:
  Witness* witness_;
};

}  // namespace tuidang::witness
