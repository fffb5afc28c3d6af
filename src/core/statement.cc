#include "core/statement.h"

#include "core/text.h"

namespace tuidang {

namespace {

// Validates one name; returns false and appends an error on failure.
bool CheckName(std::string_view raw, size_t person, std::string* out,
               std::vector<FieldError>* errors) {
  if (!IsValidUtf8(raw)) {
    errors->push_back({person, "name", ErrorCode::kInvalidCharacters});
    return false;
  }
  std::string name = Nfc(TrimSpace(raw));
  if (name.empty()) {
    errors->push_back({person, "name", ErrorCode::kRequired});
    return false;
  }
  if (HasForbiddenCharacter(name, TextKind::kSingleLine)) {
    errors->push_back({person, "name", ErrorCode::kInvalidCharacters});
    return false;
  }
  if (CountCodePoints(name) > kMaxNameChars) {
    errors->push_back({person, "name", ErrorCode::kTooLong});
    return false;
  }
  *out = std::move(name);
  return true;
}

void CheckOrganisations(const std::vector<std::string>& codes, size_t person, uint8_t* out,
                        std::vector<FieldError>* errors) {
  uint8_t set = 0;
  for (const auto& code : codes) {
    auto o = ParseOrganisation(code);
    if (!o) {
      errors->push_back({person, "organisations", ErrorCode::kUnknownValue});
      return;
    }
    set |= *o;
  }
  if (set == 0) {
    errors->push_back({person, "organisations", ErrorCode::kRequired});
    return;
  }
  *out = set;
}

void CheckPerson(const PersonDraft& draft, size_t index, Person* out,
                 std::vector<FieldError>* errors) {
  CheckName(draft.name, index, &out->name, errors);
  out->real_name = draft.real_name;
  CheckOrganisations(draft.organisations, index, &out->organisations, errors);
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kRequired: return "required";
    case ErrorCode::kTooLong: return "too_long";
    case ErrorCode::kInvalidCharacters: return "invalid_characters";
    case ErrorCode::kUnknownValue: return "unknown_value";
    case ErrorCode::kTooMany: return "too_many";
  }
  return "";
}

std::vector<FieldError> ValidateStatement(const StatementDraft& draft, Statement* out) {
  std::vector<FieldError> errors;
  out->persons.clear();
  out->persons.resize(1 + draft.others.size());
  CheckPerson(draft.declarant, 0, &out->persons[0], &errors);
  if (draft.others.size() > kMaxFurtherPersons) {
    errors.push_back({0, "persons", ErrorCode::kTooMany});
  } else {
    for (size_t i = 0; i < draft.others.size(); ++i) {
      CheckPerson(draft.others[i], i + 1, &out->persons[i + 1], &errors);
    }
  }

  out->region = 0;
  if (!draft.region.empty()) {
    auto r = ParseRegion(draft.region);
    if (r) out->region = *r;
    else errors.push_back({0, "region", ErrorCode::kUnknownValue});
  }
  out->occupation = 0;
  if (!draft.occupation.empty()) {
    auto o = ParseOccupation(draft.occupation);
    if (o) out->occupation = *o;
    else errors.push_back({0, "occupation", ErrorCode::kUnknownValue});
  }

  out->text.clear();
  if (!IsValidUtf8(draft.text)) {
    errors.push_back({0, "text", ErrorCode::kInvalidCharacters});
  } else {
    std::string text = Nfc(TrimSpace(NormalizeNewlines(draft.text)));
    if (HasForbiddenCharacter(text, TextKind::kMultiLine)) {
      errors.push_back({0, "text", ErrorCode::kInvalidCharacters});
    } else if (CountCodePoints(text) > kMaxTextChars) {
      errors.push_back({0, "text", ErrorCode::kTooLong});
    } else {
      out->text = std::move(text);
    }
  }
  return errors;
}

}  // namespace tuidang
