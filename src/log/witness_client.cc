#include "log/witness_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"

namespace tuidang {

namespace {

// A witness answers a few lines; anything much larger is not a witness's answer.
constexpr size_t kMaxReplyBytes = 64 << 10;
constexpr std::string_view kTlogSizeType = "text/x.tlog.size";

bool CurlReady() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

class CurlPoster : public HttpPoster {
 public:
  explicit CurlPoster(CURL* easy) : easy_(easy) {}
  ~CurlPoster() override {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(easy_);
  }

  Result<HttpReply> Post(const std::string& url, const std::string& body) override {
    return PostAs(url, "text/plain; charset=utf-8", body);
  }

  Result<HttpReply> PostAs(const std::string& url, const std::string& content_type,
                           const std::string& body) override {
    curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
    // No "Expect: 100-continue" (curl's default for larger bodies): the server does not
    // answer it, and curl would wait a second before every add-entries.
    if (headers != nullptr) headers = curl_slist_append(headers, "Expect:");
    if (headers == nullptr) return Error{"libcurl: out of memory"};
    curl_slist_free_all(headers_);
    headers_ = headers;
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    body_.clear();
    too_large_ = false;
    error_[0] = '\0';
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    const CURLcode code = curl_easy_perform(easy_);
    if (too_large_) return Error{fmt::format("POST {}: answer larger than 64 KiB", url)};
    if (code != CURLE_OK) {
      return Error{
          fmt::format("POST {}: {}", url, error_[0] != '\0' ? error_ : curl_easy_strerror(code))};
    }
    HttpReply reply;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &reply.status);
    char* type = nullptr;
    if (curl_easy_getinfo(easy_, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) {
      std::string t(type);
      t = t.substr(0, t.find(';'));
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
      for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.content_type = std::move(t);
    }
    reply.body = std::move(body_);
    return reply;
  }

  Status Setup(std::chrono::milliseconds timeout) {
    headers_ = curl_slist_append(nullptr, "Content-Type: text/plain; charset=utf-8");
    if (headers_ == nullptr) return Status::Fail("libcurl: out of memory");
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &CurlPoster::Write);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "tuidang-log");
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    return Status::Ok();
  }

 private:
  static size_t Write(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<CurlPoster*>(user);
    const size_t bytes = size * count;
    if (bytes > kMaxReplyBytes - self->body_.size()) {
      self->too_large_ = true;
      return 0;
    }
    self->body_.append(data, bytes);
    return bytes;
  }

  CURL* easy_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  bool too_large_ = false;
  char error_[CURL_ERROR_SIZE] = {};
};

// "<decimal>\n", strictly, as a 409's text/x.tlog.size body.
std::optional<uint64_t> ParseSizeBody(std::string_view body) {
  if (body.size() < 2 || body.back() != '\n') return std::nullopt;
  body.remove_suffix(1);
  if (body.size() > 1 && body[0] == '0') return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), n);
  if (ec != std::errc() || end != body.data() + body.size()) return std::nullopt;
  return n;
}

// The witness's line among the signature lines of a 200, verified against the checkpoint.
WitnessOutcome ReadCosignature(const tlog::PolicyWitness& witness, const OfferedCheckpoint& cp,
                               const std::string& body) {
  WitnessOutcome out;
  out.status = 200;
  out.kind = WitnessOutcome::kConflict;
  auto note = tlog::ParseNote(cp.signed_note);
  if (!note) {
    out.message = "our own checkpoint does not parse: " + note.error();
    return out;
  }
  // Only the lines themselves are looked at: each must be a signature line (signed-note).
  auto lines = tlog::ParseNote(note->text + "\n" + body);
  if (!lines) {
    out.message = "answered 200 with a body that is not signature lines: " + lines.error();
    return out;
  }
  for (const tlog::NoteSignature& s : lines->unverified) {
    if (s.name != witness.key.name() || s.key_id != witness.key.key_id()) continue;
    tlog::Note one{note->text, {}, {s}};
    Result<uint64_t> ts = witness.key.VerifyNote(one);
    if (!ts) {
      out.message = "answered 200 with a cosignature that does not verify: " + ts.error();
      return out;
    }
    out.kind = WitnessOutcome::kCosigned;
    out.timestamp = *ts;
    out.witness_size = cp.size;
    out.cosignature = fmt::format("{}{} {}\n", tlog::kSignaturePrefix, s.name, s.base64);
    return out;
  }
  out.message = "answered 200 without a cosignature by " + witness.key.VerifierKey();
  return out;
}

}  // namespace

Result<std::unique_ptr<HttpPoster>> MakeCurlPoster(std::chrono::milliseconds timeout) {
  if (!CurlReady()) return Error{"libcurl failed to initialise"};
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return Error{"libcurl: cannot make a handle"};
  auto poster = std::make_unique<CurlPoster>(easy);
  if (Status s = poster->Setup(timeout); !s) return Error{s.message()};
  return std::unique_ptr<HttpPoster>(std::move(poster));
}

std::string AddCheckpointBody(uint64_t old_size, const std::vector<tlog::Hash>& proof,
                              const std::string& signed_note) {
  std::string body = fmt::format("old {}\n", old_size);
  for (const tlog::Hash& h : proof) body += tlog::HashToBase64(h) + "\n";
  body += "\n";
  body += signed_note;
  return body;
}

WitnessOutcome AskWitness(HttpPoster& http, const tlog::PolicyWitness& witness,
                          ConsistencySource& proofs, const OfferedCheckpoint& checkpoint,
                          std::optional<uint64_t> known_size) {
  uint64_t old_size = known_size.value_or(0);
  std::string url = witness.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/add-checkpoint";
  WitnessOutcome out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    out = WitnessOutcome{};
    if (known_size || attempt > 0) out.witness_size = old_size;
    if (old_size > checkpoint.size) {
      out.kind = WitnessOutcome::kConflict;
      out.status = 409;
      out.message = fmt::format(
          "it has cosigned a tree of size {}, larger than this checkpoint's {}: this log was "
          "rolled back, or another log with its key went further",
          old_size, checkpoint.size);
      return out;
    }
    std::vector<tlog::Hash> proof;
    if (old_size > 0 && old_size < checkpoint.size) {
      auto p = proofs.Consistency(old_size, checkpoint.size);
      if (!p) {
        out.kind = WitnessOutcome::kRetry;
        out.message = fmt::format("no consistency proof from {}: {}", old_size, p.error());
        return out;
      }
      proof = std::move(*p);
    }
    auto reply = http.Post(url, AddCheckpointBody(old_size, proof, checkpoint.signed_note));
    if (!reply) {
      out.kind = WitnessOutcome::kRetry;
      out.message = reply.error();
      return out;
    }
    out.status = reply->status;
    out.requests = attempt + 1;
    std::string said = reply->body.substr(0, 200);
    while (!said.empty() && said.back() == '\n') said.pop_back();
    if (reply->status == 200) {
      out = ReadCosignature(witness, checkpoint, reply->body);
      out.requests = attempt + 1;
      return out;
    }
    if (reply->status == 409 && reply->content_type == kTlogSizeType) {
      auto size = ParseSizeBody(reply->body);
      if (!size) {
        out.kind = WitnessOutcome::kConflict;
        out.message = fmt::format("409 with a malformed {} body", kTlogSizeType);
        return out;
      }
      out.witness_size = *size;
      if (attempt == 0) {
        old_size = *size;
        continue;  // the spec's flow: learn the size, send again from it
      }
      // It moved again between our two requests: someone else is feeding it.
      out.kind = WitnessOutcome::kRetry;
      out.message = fmt::format("409 twice (it holds size {} now)", *size);
      return out;
    }
    if (reply->status == 429 || reply->status >= 500) {
      out.kind = WitnessOutcome::kRetry;
      out.message = fmt::format("HTTP {}: {}", reply->status, said);
      return out;
    }
    out.kind = WitnessOutcome::kConflict;
    if (reply->status == 409) {
      out.message =
          fmt::format("HTTP 409 without {} ({}): {}", kTlogSizeType,
                      reply->content_type.empty() ? "no type" : reply->content_type, said);
    } else {
      out.message = fmt::format("HTTP {}: {}", reply->status, said);
    }
    return out;
  }
  return out;
}

}  // namespace tuidang
