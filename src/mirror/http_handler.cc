#include "mirror/http_handler.h"

#include <zlib.h>

#include <cctype>
#include <string>
#include <utility>

namespace tuidang::mirror {

namespace {

namespace http = web::http;

constexpr std::string_view kText = "text/plain; charset=utf-8";
// Full tiles and bundles never change; everything else describes the mirror's state now.
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kNoStore = "no-store";

web::Response Make(unsigned version, int status, std::string body, std::string_view type,
                   std::string_view cache = kNoStore) {
  web::Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, cache);
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

web::Response FromAnswer(unsigned version, mirror::Answer answer) {
  return Make(version, answer.status, std::move(answer.body), answer.content_type);
}

web::Response NotAllowed(unsigned version, std::string_view allow) {
  web::Response res = Make(version, 405, "method not allowed\n", kText);
  res.set(http::field::allow, allow);
  return res;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media type of a header value: lowercase, no parameters, no surrounding blanks.
std::string MediaType(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return Lower(value);
}

// "/<64 lowercase hex digits>/<rest>" → {hex, rest}; empty hex when the path is not so.
std::pair<std::string_view, std::string_view> SplitOrigin(std::string_view path) {
  if (path.size() < 1 + 64 + 2 || path[0] != '/' || path[65] != '/') return {};
  std::string_view hex = path.substr(1, 64);
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return {hex, path.substr(66)};
}

}  // namespace

std::optional<std::string> Gunzip(std::string_view data, size_t limit, bool* too_large) {
  *too_large = false;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[64 << 10];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const size_t produced = sizeof(buffer) - zs.avail_out;
    if (produced > limit - out.size()) {
      *too_large = true;
      inflateEnd(&zs);
      return std::nullopt;
    }
    out.append(buffer, produced);
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) break;  // truncated input
  }
  const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  if (!whole) return std::nullopt;
  return out;
}

size_t MirrorHandler::BodyLimit(const web::Request& header) {
  std::string_view path = header.target();
  path = path.substr(0, path.find('?'));
  if (header.method() == http::verb::post && path == "/add-entries") return kMaxAddEntriesBytes;
  return web::kMaxBodyBytes;
}

web::Response MirrorHandler::AddEntries(const web::Request& req) {
  const unsigned version = req.version();
  if (MediaType(req[http::field::content_type]) != kAddEntriesContentType) {
    return Make(version, 415, "add-entries takes application/octet-stream\n", kText);
  }
  const std::string encoding = MediaType(req[http::field::content_encoding]);
  mirror::Answer answer;
  if (encoding.empty() || encoding == "identity") {
    answer = mirror_->AddEntries(req.body());
  } else if (encoding == "gzip") {
    bool too_large = false;
    std::optional<std::string> body = Gunzip(req.body(), kMaxInflatedBytes, &too_large);
    if (too_large) return Make(version, 413, "request body too large once decompressed\n", kText);
    if (!body) return Make(version, 400, "malformed gzip body\n", kText);
    answer = mirror_->AddEntries(*body);
  } else {
    web::Response res = Make(version, 415, "unsupported Content-Encoding (gzip only)\n", kText);
    res.set(http::field::accept_encoding, "gzip");
    return res;
  }
  web::Response res = FromAnswer(version, std::move(answer));
  res.set(http::field::accept_encoding, "gzip");  // the spec: tell clients gzip is taken
  return res;
}

web::Response MirrorHandler::Answer(const web::Request& req) {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));  // no endpoint takes a query; it is ignored
  const unsigned version = req.version();
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (path == "/add-checkpoint") {
    if (req.method() != http::verb::post) return NotAllowed(version, "POST");
    return FromAnswer(version, mirror_->AddCheckpoint(req.body()));
  }
  if (path == "/add-entries") {
    if (req.method() != http::verb::post) return NotAllowed(version, "POST");
    return AddEntries(req);
  }
  if (path == "/healthz") {
    if (!get) return NotAllowed(version, "GET, HEAD");
    return Make(version, 200, "ok\n", kText);
  }
  auto [hash, rest] = SplitOrigin(path);
  if (!hash.empty()) {
    if (!get) return NotAllowed(version, "GET, HEAD");
    if (rest.starts_with("log/")) rest.remove_prefix(4);
    mirror::Answer answer = mirror_->Monitored(hash, rest);
    const bool full_tile = answer.status == 200 && rest.starts_with("tile/") &&
                           rest.find(".p/") == std::string_view::npos;
    std::string_view cache = full_tile ? kImmutable : kNoStore;
    return Make(version, answer.status, std::move(answer.body), answer.content_type, cache);
  }
  return Make(version, 404, "not found\n", kText);
}

void MirrorHandler::Handle(web::Request req, web::Responder respond) {
  web::Response res = Answer(req);
  if (req.method() == http::verb::head) {
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  res.keep_alive(req.keep_alive());
  respond(std::move(res));
}

web::Response MirrorHandler::TransportError(http::status status, std::string_view,
                                            std::string_view) {
  std::string body = status == http::status::payload_too_large ? "request body too large\n"
                     : status == http::status::request_header_fields_too_large
                         ? "request header too large\n"
                     : status == http::status::service_unavailable ? "overloaded, retry later\n"
                                                                   : "malformed HTTP request\n";
  return Make(11, static_cast<int>(status), std::move(body), kText);
}

}  // namespace tuidang::mirror
