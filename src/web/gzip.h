// gzip for responses to clients that accept it (zlib): the pages, style sheets, scripts and
// JSON (a day list shrinks from about 25 KB to 4), and the log's entry bundles (hash tiles
// are random bytes and do not compress). Pages that are cached are compressed once, when
// rendered (CachedBody); the others per response (CompressForClient).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "web/http.h"

namespace tuidang::web {

// True when an Accept-Encoding header accepts gzip (and does not refuse it with q=0).
bool AcceptsGzip(std::string_view accept_encoding);
// `data` in the gzip format; nullopt if zlib fails. Deterministic (no time in the header).
std::optional<std::string> Gzip(std::string_view data);
// How many times Gzip ran in this process: lets a test see that a cached page is compressed
// once, not per request. Thread-safe.
uint64_t GzipRunsForTesting();

// Bodies under this size are sent as they are: the gzip header and trailer (18 bytes) and
// a packet's worth of headers make compressing them pointless.
constexpr size_t kMinGzipBytes = 256;

// True for the content types worth compressing: HTML, CSS, JavaScript, JSON, CSV.
bool IsCompressibleType(std::string_view content_type);

// A body and, when it pays (a compressible type, at least kMinGzipBytes, smaller once
// compressed), its gzip form, made once. Immutable: shared between threads.
struct CachedBody {
  std::string plain;
  std::optional<std::string> gzip;
};
CachedBody Precompressed(std::string plain, std::string_view content_type);

// Adds `token` to the response's Vary header unless it is there.
void AddVary(Response& res, std::string_view token);
// For a response of a compressible type: Vary: Accept-Encoding and, when `accepts_gzip`
// and it pays, the body gzipped with Content-Encoding. A response that already carries a
// Content-Encoding (a precompressed body) is left as it is.
void CompressForClient(Response& res, bool accepts_gzip);
// A response with `body` in the form the client takes: gzip when `accepts_gzip` and there is
// one, always with Vary: Accept-Encoding. Status 200 and `cache_control` as given.
Response CachedBodyResponse(const CachedBody& body, bool accepts_gzip,
                            std::string_view content_type, std::string_view cache_control);

}  // namespace tuidang::web
