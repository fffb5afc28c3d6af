#include "web/gzip.h"

#include <zlib.h>

#include <atomic>

namespace tuidang::web {

namespace {
std::atomic<uint64_t> gzip_runs{0};
}  // namespace

bool AcceptsGzip(std::string_view header) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "x-gzip") continue;
    auto q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view v = item.substr(q + 2);
    return !(v.starts_with("0") && v.find_first_not_of("0.", 0) >= v.size());
  }
  return false;
}

std::optional<std::string> Gzip(std::string_view data) {
  gzip_runs.fetch_add(1, std::memory_order_relaxed);
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(n);
  return out;
}

uint64_t GzipRunsForTesting() { return gzip_runs.load(std::memory_order_relaxed); }

bool IsCompressibleType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  return type == "text/html" || type == "text/css" || type == "text/javascript" ||
         type == "application/javascript" || type == "application/json" || type == "text/csv";
}

CachedBody Precompressed(std::string plain, std::string_view content_type) {
  CachedBody out{std::move(plain), std::nullopt};
  if (out.plain.size() < kMinGzipBytes || !IsCompressibleType(content_type)) return out;
  if (auto gz = Gzip(out.plain); gz && gz->size() < out.plain.size()) out.gzip = std::move(*gz);
  return out;
}

void AddVary(Response& res, std::string_view token) {
  std::string_view vary = res[http::field::vary];
  if (vary.empty()) return res.set(http::field::vary, token);
  if (vary.find(token) != std::string_view::npos) return;
  res.set(http::field::vary, std::string(vary) + ", " + std::string(token));
}

void CompressForClient(Response& res, bool accepts_gzip) {
  if (!IsCompressibleType(res[http::field::content_type])) return;
  AddVary(res, "Accept-Encoding");
  if (!accepts_gzip || res.count(http::field::content_encoding) ||
      res.body().size() < kMinGzipBytes) {
    return;
  }
  if (auto gz = Gzip(res.body()); gz && gz->size() < res.body().size()) {
    res.body() = std::move(*gz);
    res.set(http::field::content_encoding, "gzip");
  }
}

Response CachedBodyResponse(const CachedBody& body, bool accepts_gzip,
                            std::string_view content_type, std::string_view cache_control) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, cache_control);
  if (accepts_gzip && body.gzip) {
    res.body() = *body.gzip;
    res.set(http::field::content_encoding, "gzip");
  } else {
    res.body() = body.plain;
  }
  AddVary(res, "Accept-Encoding");
  return res;
}

}  // namespace tuidang::web
