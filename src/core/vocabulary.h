// The closed vocabularies of a statement: organisations, regions, occupations, channels,
// languages and statuses. Their numeric values are stored and, later, written into log
// leaves: never renumber, only append.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tuidang {

// Organisations form a bit set: a person may leave several at once.
enum Organisation : uint8_t { kParty = 1, kLeague = 2, kPioneers = 4 };
constexpr uint8_t kAllOrganisations = kParty | kLeague | kPioneers;
constexpr Organisation kOrganisationList[] = {kParty, kLeague, kPioneers};
std::string_view OrganisationCode(Organisation o);  // "party", "league", "pioneers"
std::optional<Organisation> ParseOrganisation(std::string_view code);

// Region 0 means "not given". Codes are the identifiers of docs/api.md.
using Region = uint8_t;
// Every region code, in display order; index + 1 is the stored value.
std::span<const std::string_view> RegionCodes();
std::string_view RegionCode(Region r);  // "" for 0 or unknown
std::optional<Region> ParseRegion(std::string_view code);

using Occupation = uint8_t;  // 0 means "not given"
std::span<const std::string_view> OccupationCodes();
std::string_view OccupationCode(Occupation o);
std::optional<Occupation> ParseOccupation(std::string_view code);

// How a statement reached the center. Operators enter every channel but the web.
enum class Channel : uint8_t {
  kWeb = 1,
  kPhone = 2,  // a volunteer's call, with the declarant's consent
  kLetter = 3,
  kFax = 4,
  kEmail = 5,
  kPoster = 6,  // a statement seen in public (a poster, a wall)
  kSheet = 7,   // a sign-up sheet
};
constexpr Channel kChannelList[] = {Channel::kWeb,  Channel::kPhone, Channel::kLetter,
                                    Channel::kFax,  Channel::kEmail, Channel::kPoster,
                                    Channel::kSheet};
std::string_view ChannelCode(Channel c);  // "web", "phone", ...
std::optional<Channel> ParseChannel(std::string_view code);

enum class Language : uint8_t { kSimplified = 0, kTraditional = 1, kEnglish = 2 };
constexpr Language kLanguages[] = {Language::kSimplified, Language::kTraditional,
                                   Language::kEnglish};
std::string_view LanguageCode(Language l);        // "zh-hans", "zh-hant", "en"
std::string_view LanguageHtmlTag(Language l);     // "zh-Hans", "zh-Hant", "en"
std::string_view LanguagePathPrefix(Language l);  // "", "/zh-hant", "/en"
std::optional<Language> ParseLanguage(std::string_view code);

// kAccepted: durably stored and valid, waiting for the next publication batch
// (intake/publisher.h), which numbers and publishes it; nothing of it is public or counted
// yet.
enum class StatementStatus : uint8_t {
  kHeld = 0,
  kPublished = 1,
  kRejected = 2,
  kWithdrawn = 3,
  kAccepted = 4,
};
std::string_view StatusCode(StatementStatus s);

}  // namespace tuidang
