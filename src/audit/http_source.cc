#include "audit/http_source.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>
#include <optional>

namespace tuidang::audit {

namespace {

// libcurl's global state, set up once for the process and never torn down (other threads
// of the process may still use it at exit).
bool CurlReady() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

// One URL part, or nullopt when the URL has none.
std::optional<std::string> UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

// One request in flight, on an easy handle kept for the source's lifetime so that its
// connection is reused.
struct Transfer {
  CURL* easy = nullptr;
  size_t index = 0;  // into FetchAll's answers
  std::string url;
  std::string body;
  size_t limit = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

struct HttpSource::Impl {
  CURLM* multi = nullptr;
  std::vector<std::unique_ptr<Transfer>> transfers;  // options_.parallel of them

  ~Impl() {
    for (auto& t : transfers) {
      if (t->easy != nullptr) curl_easy_cleanup(t->easy);
    }
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
};

namespace {

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (bytes > t->limit - t->body.size()) {
    t->too_large = true;
    return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, bytes);
  return bytes;
}

// The answer of a finished transfer.
Fetched Finish(Transfer& t, CURLcode code) {
  if (t.too_large) {
    return Error{fmt::format("GET {}: answer larger than {} bytes", t.url, t.limit)};
  }
  if (code != CURLE_OK) {
    const char* detail = t.error[0] != '\0' ? t.error : curl_easy_strerror(code);
    return Error{fmt::format("GET {}: {}", t.url, detail)};
  }
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return std::optional<std::string>(std::move(t.body));
  if (status == 404 || status == 410) return std::optional<std::string>();
  if (status >= 300 && status < 400) {
    return Error{
        fmt::format("GET {}: HTTP {} (redirects are not followed: give the URL the "
                    "site is served at)",
                    t.url, status)};
  }
  return Error{fmt::format("GET {}: HTTP {}", t.url, status)};
}

}  // namespace

Result<std::unique_ptr<HttpSource>> HttpSource::Open(std::string_view base_url,
                                                     HttpOptions options) {
  if (!CurlReady()) return Error{"libcurl failed to initialise"};
  if (options.parallel < 1) options.parallel = 1;

  const std::string given(base_url);
  CURLU* url = curl_url();
  if (url == nullptr) return Error{"out of memory"};
  const CURLUcode rc = curl_url_set(url, CURLUPART_URL, given.c_str(), 0);
  std::optional<std::string> scheme, host, normalised;
  bool extra = false;
  if (rc == CURLUE_OK) {
    scheme = UrlPart(url, CURLUPART_SCHEME);
    host = UrlPart(url, CURLUPART_HOST);
    extra = UrlPart(url, CURLUPART_USER) || UrlPart(url, CURLUPART_QUERY) ||
            UrlPart(url, CURLUPART_FRAGMENT);
    normalised = UrlPart(url, CURLUPART_URL);
  }
  curl_url_cleanup(url);
  if (rc != CURLUE_OK) {
    return Error{fmt::format("bad URL {:?}: {}", given, curl_url_strerror(rc))};
  }
  if (!scheme || (*scheme != "http" && *scheme != "https")) {
    return Error{fmt::format("bad URL {:?}: only http:// and https:// are supported", given)};
  }
  if (!host || host->empty() || !normalised) {
    return Error{fmt::format("bad URL {:?}: no host", given)};
  }
  if (extra) {
    return Error{
        fmt::format("bad URL {:?}: give the site root, without a user name, query or "
                    "fragment",
                    given)};
  }
  std::string base = std::move(*normalised);
  while (!base.empty() && base.back() == '/') base.pop_back();

  std::unique_ptr<HttpSource> source(new HttpSource(std::move(base), std::move(options)));
  Impl& impl = *source->impl_;
  impl.multi = curl_multi_init();
  if (impl.multi == nullptr) return Error{"libcurl: cannot make a multi handle"};
  const long parallel = source->options_.parallel;
  curl_multi_setopt(impl.multi, CURLMOPT_MAX_HOST_CONNECTIONS, parallel);
  curl_multi_setopt(impl.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, parallel);
  for (long i = 0; i < parallel; ++i) {
    auto t = std::make_unique<Transfer>();
    t->easy = curl_easy_init();
    if (t->easy == nullptr) return Error{"libcurl: cannot make an easy handle"};
    t->limit = source->options_.max_response_bytes;
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(source->options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(source->options_.request_timeout.count()));
    curl_easy_setopt(e, CURLOPT_USERAGENT, source->options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);  // share one HTTP/2 connection when offered
    impl.transfers.push_back(std::move(t));
  }
  return source;
}

HttpSource::HttpSource(std::string base, HttpOptions options)
    : base_(std::move(base)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

HttpSource::~HttpSource() = default;

std::string HttpSource::Locate(std::string_view path) const {
  return fmt::format("{}/{}", base_, path);
}

std::string HttpSource::NotFoundMessage(std::string_view path) const {
  return fmt::format("GET {}: HTTP 404 (not found)", Locate(path));
}

Fetched HttpSource::FetchIfExists(std::string_view path) {
  const std::string one[] = {std::string(path)};
  return std::move(FetchAll(one)[0]);
}

std::vector<Fetched> HttpSource::FetchAll(std::span<const std::string> paths) {
  std::vector<std::optional<Fetched>> answers(paths.size());
  std::vector<Transfer*> idle;
  for (auto& t : impl_->transfers) idle.push_back(t.get());
  size_t next = 0, active = 0;
  CURLMcode mc = CURLM_OK;

  while (next < paths.size() || active > 0) {
    while (!idle.empty() && next < paths.size()) {
      Transfer* t = idle.back();
      idle.pop_back();
      t->index = next;
      t->url = Locate(paths[next]);
      t->body.clear();
      t->too_large = false;
      t->error[0] = '\0';
      curl_easy_setopt(t->easy, CURLOPT_URL, t->url.c_str());
      if ((mc = curl_multi_add_handle(impl_->multi, t->easy)) != CURLM_OK) break;
      ++next;
      ++active;
    }
    if (mc != CURLM_OK) break;

    int running = 0;
    if ((mc = curl_multi_perform(impl_->multi, &running)) != CURLM_OK) break;
    int queued = 0;
    bool finished = false;
    while (CURLMsg* msg = curl_multi_info_read(impl_->multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      const CURLcode code = msg->data.result;  // read before the handle is removed
      curl_multi_remove_handle(impl_->multi, t->easy);
      answers[t->index] = Finish(*t, code);
      t->body = std::string();  // do not keep a large answer's buffer around
      idle.push_back(t);
      --active;
      finished = true;
    }
    if (!finished && active > 0) {
      if ((mc = curl_multi_poll(impl_->multi, nullptr, 0, 1000, nullptr)) != CURLM_OK) break;
    }
  }

  if (mc != CURLM_OK) {
    // Should not happen; leave the handles clean for the next call.
    for (auto& t : impl_->transfers) curl_multi_remove_handle(impl_->multi, t->easy);
  }
  std::vector<Fetched> out;
  out.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (answers[i]) {
      out.push_back(std::move(*answers[i]));
    } else {
      out.push_back(
          Error{fmt::format("GET {}: libcurl: {}", Locate(paths[i]), curl_multi_strerror(mc))});
    }
  }
  return out;
}

}  // namespace tuidang::audit
