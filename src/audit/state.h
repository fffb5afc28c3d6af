// The auditor's memory between runs: the last signed checkpoint it verified, kept verbatim
// in a file of the user's choosing, so that the next audit can check that the log only grew.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace tuidang::audit {

// The saved signed checkpoint, or nullopt when `path` does not exist (the first audit).
// Fails when the file cannot be read. The contents are not checked here: the audit opens
// them with the log's key like any checkpoint.
Result<std::optional<std::string>> LoadState(const std::string& path);

// Replaces the file's contents with `signed_checkpoint`, atomically: written and synced
// beside it as "<path>.tmp.<pid>", then renamed over it, then the folder synced. A crash leaves the
// old state or the new one, never a mix. Fails with the file's name and the system's reason.
Status SaveState(const std::string& path, const std::string& signed_checkpoint);

}  // namespace tuidang::audit
