#include "witness/http_handler.h"

#include <string>
#include <utility>

namespace tuidang::witness {

namespace {

namespace http = web::http;

constexpr std::string_view kText = "text/plain; charset=utf-8";

web::Response Make(unsigned version, int status, std::string body, std::string_view type) {
  web::Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, type);
  // Answers describe the witness's state at this moment; nothing may keep them.
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

web::Response FromAnswer(unsigned version, witness::Answer answer) {
  return Make(version, answer.status, std::move(answer.body), answer.content_type);
}

web::Response NotAllowed(unsigned version, std::string_view allow) {
  web::Response res = Make(version, 405, "method not allowed\n", kText);
  res.set(http::field::allow, allow);
  return res;
}

// "/<64 lowercase hex digits>/checkpoint" → the hex; empty when the path is not of that form.
std::string_view OriginHash(std::string_view path) {
  constexpr std::string_view kSuffix = "/checkpoint";
  if (path.size() != 1 + 64 + kSuffix.size() || path[0] != '/' || !path.ends_with(kSuffix)) {
    return {};
  }
  std::string_view hex = path.substr(1, 64);
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return hex;
}

}  // namespace

web::Response WitnessHandler::Answer(const web::Request& req) {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));  // no endpoint takes a query; it is ignored
  const unsigned version = req.version();
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (path == "/add-checkpoint") {
    if (req.method() != http::verb::post) return NotAllowed(version, "POST");
    return FromAnswer(version, witness_->AddCheckpoint(req.body()));
  }
  if (std::string_view hash = OriginHash(path); !hash.empty()) {
    if (!get) return NotAllowed(version, "GET, HEAD");
    return FromAnswer(version, witness_->MonitoredCheckpoint(hash));
  }
  if (path == "/healthz") {
    if (!get) return NotAllowed(version, "GET, HEAD");
    return Make(version, 200, "ok\n", kText);
  }
  return Make(version, 404, "not found\n", kText);
}

void WitnessHandler::Handle(web::Request req, web::Responder respond) {
  web::Response res = Answer(req);
  if (req.method() == http::verb::head) {
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  res.keep_alive(req.keep_alive());
  respond(std::move(res));
}

web::Response WitnessHandler::TransportError(http::status status, std::string_view,
                                             std::string_view) {
  std::string body = status == http::status::payload_too_large ? "request body too large\n"
                     : status == http::status::request_header_fields_too_large
                         ? "request header too large\n"
                     : status == http::status::service_unavailable ? "overloaded, retry later\n"
                                                                   : "malformed HTTP request\n";
  return Make(11, static_cast<int>(status), std::move(body), kText);
}

}  // namespace tuidang::witness
