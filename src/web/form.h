// application/x-www-form-urlencoded bodies and query strings, decoded strictly: a broken
// percent escape is an error, never guessed at. Values are raw bytes; their UTF-8 validity
// is checked by the statement validation, which reports it beside the field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tuidang::web {

class Form {
 public:
  // Parses "a=1&b=2". Fails on a malformed percent escape or more than `max_fields` fields.
  static Result<Form> Parse(std::string_view encoded, size_t max_fields = 1000);

  // The single value of `name`; nullopt when absent. Use Count() to refuse duplicates.
  std::optional<std::string_view> Get(std::string_view name) const;
  std::string_view GetOr(std::string_view name, std::string_view fallback = "") const;
  // Every value of a repeated field, in order.
  std::vector<std::string_view> All(std::string_view name) const;
  size_t Count(std::string_view name) const;
  // The name of the first field that appears more than once and is not in `repeatable`
  // (names ending in "_org" and "org" are the checkbox groups); nullopt if none.
  std::optional<std::string> FirstDuplicate(bool (*repeatable)(std::string_view)) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Percent-decodes one component ('+' is a space). nullopt on a malformed escape.
std::optional<std::string> UrlDecode(std::string_view s);
// Percent-encodes for a query component or path segment.
std::string UrlEncode(std::string_view s);

}  // namespace tuidang::web
