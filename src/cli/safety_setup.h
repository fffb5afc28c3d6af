// The server's safety pieces built from the configuration (docs/deploy-safety.md).
#pragma once

#include <memory>

#include "cli/config.h"
#include "cli/data_dir.h"
#include "core/result.h"
#include "safety/client_key.h"
#include "safety/guard.h"

namespace tuidang::cli {

struct SafetySetup {
  std::unique_ptr<safety::Guard> guard;
  std::unique_ptr<safety::ClientIdentifier> identify;
};

// Builds the abuse gate and the client identifier. Errors: an invalid trusted proxy or
// office public key, or a key file in the data folder that others can read (an office
// secret key found there, or log.key).
Result<SafetySetup> PrepareSafety(const Config& config, const DataDir& dir);

// Refuses key files (log.key, *.key, any "tuidang-office-secret" file) in `dir` that the
// group or others can read. Returns the offending path in the error.
Status CheckKeyFilePermissions(const DataDir& dir);

}  // namespace tuidang::cli
