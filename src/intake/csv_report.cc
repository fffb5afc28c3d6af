// The reasons an import gives for a skipped row, formatted for the command line (the
// console formats them from the catalogs: web/ops_upload.cc).
#include <fmt/format.h>

#include "intake/csv_import.h"

namespace tuidang::intake {

std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kRequired: return "required";
    case RejectReason::kTooLong: return "too_long";
    case RejectReason::kInvalidCharacters: return "invalid_characters";
    case RejectReason::kUnknownValue: return "unknown_value";
    case RejectReason::kTooManyPersons: return "too_many";
    case RejectReason::kBadBytes: return "bad_bytes";
    case RejectReason::kTooManyCells: return "cells";
    case RejectReason::kGroupRejected: return "group";
    case RejectReason::kUnterminatedQuote: return "unterminated_quote";
    case RejectReason::kBadDate: return "bad_date";
    case RejectReason::kFutureDate: return "future_date";
    case RejectReason::kTooEarly: return "too_early";
    case RejectReason::kRepeatedRowId: return "repeated_id";
  }
  return "invalid_characters";
}

std::string RejectedRow::Reason() const {
  auto arg = [&](size_t i) {
    return i < args.size() ? std::string_view(args[i]) : std::string_view();
  };
  switch (reason) {
    case RejectReason::kRequired: return "required";
    case RejectReason::kTooLong: return "too long";
    case RejectReason::kInvalidCharacters: return "invalid characters";
    case RejectReason::kUnknownValue:
      return arg(0).empty() ? "unknown value" : fmt::format("unknown value \"{}\"", arg(0));
    case RejectReason::kTooManyPersons: return fmt::format("more than {} persons", arg(0));
    case RejectReason::kBadBytes: return fmt::format("bytes that are not valid {}", arg(0));
    case RejectReason::kTooManyCells:
      return fmt::format("{} cells, the header has {}", arg(0), arg(1));
    case RejectReason::kGroupRejected:
      return fmt::format("its group was rejected (line {})", arg(0));
    case RejectReason::kUnterminatedQuote: return "unterminated quote";
    case RejectReason::kBadDate:
      return fmt::format("\"{}\" is not a date (2004-12-03, 2004/12/3 or 2004年12月3日)", arg(0));
    case RejectReason::kFutureDate: return fmt::format("{} is after today", arg(0));
    case RejectReason::kTooEarly: return fmt::format("{} is before {}", arg(0), arg(1));
    case RejectReason::kRepeatedRowId:
      return fmt::format("the id \"{}\" is already the id of line {}", arg(0), arg(1));
  }
  return "invalid";
}

std::string RejectedRow::Describe() const {
  if (field.empty()) return fmt::format("line {}: {}", line, Reason());
  return fmt::format("line {}: {}: {}", line, field, Reason());
}

}  // namespace tuidang::intake
