// Duplicate keys in a JSON text. Boost.JSON keeps the last of two equal keys without a word,
// so {"name": "a", "name": "b"} would read as "b"; the API refuses such a body instead, as
// the form refuses a field sent twice (docs/api.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tuidang::web {

// The path of the first key that appears twice in one object of `json` ("name",
// "persons[1].name", "pow.nonce"), keys compared after their escapes are decoded; nullopt
// when there is none, or when `json` is not valid JSON or nests deeper than `max_depth`
// (the caller's own parse reports those). O(n log n) in the size of `json`.
std::optional<std::string> FirstDuplicateKey(std::string_view json, size_t max_depth);

}  // namespace tuidang::web
