// The mirror's HTTP interface on the project's Beast server (web/server.h), with the same
// prefix for submission and monitoring (c2sp.org/tlog-mirror):
//
//   POST /add-checkpoint                     the pending checkpoint (as a witness's)
//   POST /add-entries                        entry packages, gzip or not (application/octet-stream)
//   GET  /<hex sha256(origin)>/checkpoint    the mirror checkpoint, cosigned
//   GET  /<hex sha256(origin)>/tile/...      its tiles and entry bundles (tlog-tiles)
//   GET  /<hex sha256(origin)>/log/...       the same again, laid out as a tuidang site's
//                                            /log/, so that `tuidang audit <that URL>` and a
//                                            static mirror folder take the copy as it is
//   GET  /healthz                            "ok"
//
// Errors are one line of plain English text, as the witness's. Thread-safe as the Mirror is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mirror/mirror.h"
#include "web/http.h"

namespace tuidang::mirror {

// The largest add-entries body, as sent (the server's upload limit: 32 packages of 256
// entries of up to a kilobyte each fit many times over) and once decompressed (a gzip body
// may not expand past this, so a small bomb cannot fill memory).
inline constexpr size_t kMaxAddEntriesBytes = web::kMaxUploadBytes;
inline constexpr size_t kMaxInflatedBytes = size_t{64} << 20;

// The gzip `data` decompressed; nullopt when it is not gzip, is truncated, or would pass
// `limit` bytes (then *too_large is set).
std::optional<std::string> Gunzip(std::string_view data, size_t limit, bool* too_large);

class MirrorHandler : public web::Handler {
 public:
  // `mirror` must outlive the handler.
  explicit MirrorHandler(Mirror* mirror) : mirror_(mirror) {}

  void Handle(web::Request req, web::Responder respond) override;
  size_t BodyLimit(const web::Request& header) override;
  web::Response TransportError(web::http::status status, std::string_view target,
                               std::string_view accept_language) override;

  // The answer to one request, for tests without a socket.
  web::Response Answer(const web::Request& req);

 private:
  web::Response AddEntries(const web::Request& req);

  Mirror* mirror_;
};

}  // namespace tuidang::mirror
