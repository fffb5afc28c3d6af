// multipart/form-data bodies (RFC 7578), as browsers send a form with a file: the
// console's CSV upload and the attachments of the letter, fax and e-mail forms. A small
// strict parser, not GMime's: GMime is built to recover what it can from broken mail, and
// here a truncated or malformed upload must be refused whole (docs/console.md says more).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "web/form.h"

namespace tuidang::web {

struct MultipartPart {
  std::string name;                     // the form field
  std::optional<std::string> filename;  // set for a file input (may be empty: no file chosen)
  std::string content_type;             // as sent; empty when absent
  std::string data;                     // the bytes, exactly as sent
};

// Parts beyond this many make the body malformed: the largest console form has about 90
// fields.
constexpr size_t kMaxMultipartParts = 500;

// The boundary of a Content-Type "multipart/form-data; boundary=..." (quoted or not, 1 to
// 70 characters of RFC 2046's bchars); nullopt for another type or a missing or invalid
// boundary.
std::optional<std::string> MultipartBoundary(std::string_view content_type);

// Parses `body`, which must start with the first delimiter and end with the close
// delimiter (an optional CRLF after it). Returns an error, and no parts, for anything else:
// a missing close delimiter (a truncated upload), a part without
// `Content-Disposition: form-data; name=...`, a header line without a colon or longer than
// 8 KiB, more than kMaxMultipartParts parts.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary);

// The parts that are not files, as a Form (in order), for the code that reads urlencoded
// forms.
Form FieldsOf(const std::vector<MultipartPart>& parts);

}  // namespace tuidang::web
