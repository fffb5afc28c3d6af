// tuidang.toml's witnesses: [[witness]] tables and [witnessing] (docs/witness.md).
#pragma once

#include <string>

#include <toml++/toml.h>

#include "cli/config.h"

namespace tuidang {

// Reads [[witness]] and [witnessing] of `table` into `config` and assembles and checks its
// witness_policy_text (tlog/policy.h). Returns an error message naming `path` and the
// setting, or empty.
std::string ReadWitnessing(const toml::table& table, const std::string& path, Config* config);

}  // namespace tuidang
