// The statement model and its validation: the one place that decides what a valid
// withdrawal statement is, whatever channel it came through (pure, no I/O).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/day.h"
#include "core/vocabulary.h"

namespace tuidang {

// Limits, each with its reason.
// Names and pseudonyms are short; anything longer is a flood or an abuse of the list.
constexpr size_t kMaxNameChars = 40;
// A statement's free text: enough for a letter, small enough for a day page.
constexpr size_t kMaxTextChars = 5000;
// Further persons in one web statement: a family or a small association. Larger groups
// are entered by volunteers.
constexpr size_t kMaxFurtherPersons = 50;

struct Person {
  std::string name;  // NFC, trimmed, 1..kMaxNameChars code points
  bool real_name = false;
  uint8_t organisations = 0;  // non-empty subset of kAllOrganisations
};

struct Statement {
  int64_t id = 0;                 // internal, assigned by the store
  std::optional<int64_t> number;  // public number, assigned at publication
  StatementStatus status = StatementStatus::kHeld;
  Day day = 0;                  // day received (and published)
  std::vector<Person> persons;  // persons[0] is the declarant; each counts once
  Region region = 0;
  Occupation occupation = 0;
  std::string text;  // NFC, LF line ends, at most kMaxTextChars
  Channel channel = Channel::kWeb;
  Language language = Language::kSimplified;
  // Entered by an operator (0: by the declarant on the web). Never published: volunteers
  // are threatened too.
  int64_t operator_id = 0;
  // Public notes of operator channels: the consent given by phone ("declared by phone on
  // <day>; consents to publication under <name>"), the place a poster was seen.
  std::string consent;
  std::string place;
};

// A person as typed, before validation.
struct PersonDraft {
  std::string name;
  bool real_name = false;
  std::vector<std::string> organisations;
};

// A statement as typed in a form or sent as JSON, before validation.
struct StatementDraft {
  PersonDraft declarant;
  std::vector<PersonDraft> others;
  std::string region, occupation, text;
};

// Which check a field failed. The message shown is the catalog entry "error.<code>".
enum class ErrorCode {
  kRequired,
  kTooLong,
  kInvalidCharacters,
  kUnknownValue,
  kTooMany,
};
std::string_view ErrorCodeName(ErrorCode c);  // "required", "too_long", ...

// One problem with one field: `person` is 0 for the declarant and k for the k-th further
// person (1-based); `field` is one of "name", "organisations", "region", "occupation",
// "text", "persons".
struct FieldError {
  size_t person = 0;
  std::string field;
  ErrorCode code;
};

// Validates and normalises `draft`. On success stores the statement (persons, region,
// occupation, text; status, day and numbers untouched) in *out and returns an empty
// vector; otherwise returns every problem found and leaves *out unspecified.
std::vector<FieldError> ValidateStatement(const StatementDraft& draft, Statement* out);

// Number of persons a statement counts for.
inline int64_t PersonsCount(const Statement& s) { return static_cast<int64_t>(s.persons.size()); }

}  // namespace tuidang
