// A live site read over HTTP(S) with libcurl: `<base URL>/log/checkpoint` and so on.
//
// Only the given host is ever contacted: redirects are not followed (a 3xx is an error),
// and only http and https are allowed. Compressed answers are accepted (tiles are served
// gzipped) and every answer is bounded in size and time, so a hostile server can neither
// fill memory nor hold the audit forever. Proxies come from the usual environment variables
// (https_proxy, ALL_PROXY=socks5h://...), as with curl itself.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/source.h"
#include "core/result.h"

namespace tuidang::audit {

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // For one whole request. A full entry bundle is at most about 16 MiB; on a slow proxy
  // that can take a while, but no site may stall an audit forever.
  std::chrono::milliseconds request_timeout{120000};
  // Requests in flight at once: enough to hide the round trip to a distant site, few enough
  // to be polite to it.
  int parallel = 8;
  // The largest answer accepted, after decompression: an entry bundle of 256 entries of
  // 64 KiB is 16 MiB and a little more.
  size_t max_response_bytes = size_t{32} << 20;
  std::string user_agent = "tuidang-audit";
};

// Not thread-safe.
class HttpSource : public LogSource {
 public:
  // Fails unless `base_url` is an absolute http:// or https:// URL with a host and no query,
  // fragment or user name. A trailing '/' is dropped.
  static Result<std::unique_ptr<HttpSource>> Open(std::string_view base_url,
                                                  HttpOptions options = {});
  ~HttpSource() override;

  // 200 gives the body; 404 and 410 give nullopt; any other status, a connection error, a
  // timeout or an answer over max_response_bytes is an error "GET <URL>: ...".
  Fetched FetchIfExists(std::string_view path) override;
  std::vector<Fetched> FetchAll(std::span<const std::string> paths) override;
  std::string Locate(std::string_view path) const override;
  std::string NotFoundMessage(std::string_view path) const override;

 private:
  struct Impl;
  HttpSource(std::string base, HttpOptions options);

  std::string base_;  // scheme://host[:port][/prefix], no trailing '/'
  HttpOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tuidang::audit
