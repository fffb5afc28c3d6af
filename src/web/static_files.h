// The site's static files (style sheets, the proof-of-work script, the icon), each served
// under its plain name ("/static/site.css", short cache) and under a name carrying a hash of
// its content ("/static/site.1a2b3c4d.css", cached for a year: a new build that changes the
// file changes its name, so no browser or CDN ever keeps a stale copy). Built once, with
// their gzip forms, the first time they are asked for; thread-safe and immutable after.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "web/gzip.h"
#include "web/http.h"

namespace tuidang::web {

struct StaticFile {
  std::string name;       // "site.css"
  std::string versioned;  // "site.1a2b3c4d.css": the first 8 hex digits of its SHA-256
  std::string_view content_type;
  CachedBody body;
};

// Every static file, in a fixed order.
std::span<const StaticFile> StaticFiles();
// The file named `name` (what follows "/static/"): its plain name, its versioned name, or
// the versioned name of an earlier build (a page cached before an upgrade), which gets the
// current content. *current: `name` is this build's versioned name. nullptr: no such file.
const StaticFile* FindStaticFile(std::string_view name, bool* current);
// The URL pages link to: "/static/" + the versioned name. `name` must be one of
// StaticFiles()' plain names (a programming error otherwise: the plain URL is returned).
std::string StaticUrl(std::string_view name);
// The answer for `file`: cached for a year when `current`, else for a short time; gzip when
// `gzip` and it pays.
Response StaticFileResponse(const StaticFile& file, bool current, bool gzip);

// The site's icon (a 32x32 PNG in an ICO), also answered at /favicon.ico.
std::string_view FaviconIco();

}  // namespace tuidang::web
