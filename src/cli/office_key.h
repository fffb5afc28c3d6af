// The office secret key file, as `tuidang keys office --out FILE` wrote it, read by the
// commands that open what was sealed to the office key (tuidang private show, restore).
#pragma once

#include <string>

#include "core/result.h"
#include "safety/seal.h"

namespace tuidang::cli {

// Reads and parses the key at `path`, wiping the copy of its text it read. On error the
// message names the file; `*unreadable` (when given) is set true when the file could not
// be read at all (EX_NOINPUT) and false when it is not a key (EX_DATAERR).
// REQUIRES: sodium_init() was called.
Result<safety::OfficeSecretKey> ReadOfficeSecretKey(const std::string& path,
                                                    bool* unreadable = nullptr);

}  // namespace tuidang::cli
