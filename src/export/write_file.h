// Writing an exported file whole: into a temporary file, then renamed over its place, so
// that a reader (a web server serving the folder) never sees a half-written file.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace tuidang::exporter {

// Writes `data` to `tmp` (created, or truncated, mode 0644) and renames it to `target`
// (same file system). On error the message names the file; `tmp` may be left behind.
Status WriteAndRename(const std::string& tmp, const std::string& target, std::string_view data);

}  // namespace tuidang::exporter
