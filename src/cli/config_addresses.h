// tuidang.toml's other public addresses of the center, shown to visitors on /about and
// /safety (docs/center-pages.md): the onion service (`onion_address`) and the places that
// serve a copy of the public site (`site_mirrors`, static exports: docs/export.md). They are
// not the [[mirror]] tables, which name tlog-mirrors the log pushes to (docs/mirror.md).
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "cli/config.h"

namespace tuidang {

// A site copy listed at most (a page lists a few; a longer list is a mistake).
inline constexpr size_t kMaxSiteMirrors = 20;
// The longest URL accepted for a site copy.
inline constexpr size_t kMaxSiteMirrorUrl = 200;

// Reads onion_address and site_mirrors of `table` into config. onion_address: a version 3
// onion service, "<56 base32 characters>.onion", with or without "http://" or "https://"
// and a final "/"; stored as "http[s]://<host>/". site_mirrors: a list of http:// or https://
// URLs, each without spaces, quotes or angle brackets, listed once. Returns an error message
// naming `path` and the setting, or empty.
std::string ReadCenterAddresses(const toml::table& table, const std::string& path, Config* config);

// `address` as stored (see above), or empty when it is not a version 3 onion address.
std::string NormalizeOnionAddress(std::string_view address);

}  // namespace tuidang
