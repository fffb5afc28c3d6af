// tuidang.toml's mirrors: [[mirror]] tables (docs/mirror.md), each a C2SP tlog-mirror the
// log pushes its checkpoints and entries to.
#pragma once

#include <string>

#include <toml++/toml.h>

#include "cli/config.h"

namespace tuidang {

// Reads [[mirror]] of `table` into config->mirrors: name, key (a cosignature verifier key)
// and url (http:// or https://), each required, and monitoring_url (http:// or https://, the
// prefix under which the mirror serves its copies, shown on /log), optional. Returns an error
// message naming `path` and the setting (an unknown setting, a missing one, a bad key, a name or
// key used twice), or empty.
std::string ReadMirrors(const toml::table& table, const std::string& path, Config* config);

}  // namespace tuidang
