// gzip for responses to clients that accept it (zlib). Used where it pays: the log's entry
// bundles (hash tiles are random bytes and do not compress).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tuidang::web {

// True when an Accept-Encoding header accepts gzip (and does not refuse it with q=0).
bool AcceptsGzip(std::string_view accept_encoding);
// `data` in the gzip format; nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view data);

}  // namespace tuidang::web
