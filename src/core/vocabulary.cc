#include "core/vocabulary.h"

#include <array>

namespace tuidang {

namespace {

constexpr std::array<std::string_view, 36> kRegions = {
    "beijing",   "tianjin",   "shanghai",       "chongqing", "hebei",    "shanxi",
    "liaoning",  "jilin",     "heilongjiang",   "jiangsu",   "zhejiang", "anhui",
    "fujian",    "jiangxi",   "shandong",       "henan",     "hubei",    "hunan",
    "guangdong", "hainan",    "sichuan",        "guizhou",   "yunnan",   "shaanxi",
    "gansu",     "qinghai",   "inner_mongolia", "guangxi",   "tibet",    "ningxia",
    "xinjiang",  "hong_kong", "macau",          "taiwan",    "overseas", "undisclosed"};

constexpr std::array<std::string_view, 11> kOccupations = {
    "official", "military", "police",  "teacher", "student",    "worker",
    "farmer",   "business", "retired", "other",   "undisclosed"};

template <size_t N>
std::optional<uint8_t> Find(const std::array<std::string_view, N>& list, std::string_view code) {
  for (size_t i = 0; i < N; ++i) {
    if (list[i] == code) return static_cast<uint8_t>(i + 1);
  }
  return std::nullopt;
}

}  // namespace

std::string_view OrganisationCode(Organisation o) {
  switch (o) {
    case kParty: return "party";
    case kLeague: return "league";
    case kPioneers: return "pioneers";
  }
  return "";
}

std::optional<Organisation> ParseOrganisation(std::string_view code) {
  for (Organisation o : kOrganisationList) {
    if (OrganisationCode(o) == code) return o;
  }
  return std::nullopt;
}

std::span<const std::string_view> RegionCodes() { return kRegions; }
std::string_view RegionCode(Region r) {
  return r >= 1 && r <= kRegions.size() ? kRegions[r - 1] : std::string_view();
}
std::optional<Region> ParseRegion(std::string_view code) { return Find(kRegions, code); }

std::span<const std::string_view> OccupationCodes() { return kOccupations; }
std::string_view OccupationCode(Occupation o) {
  return o >= 1 && o <= kOccupations.size() ? kOccupations[o - 1] : std::string_view();
}
std::optional<Occupation> ParseOccupation(std::string_view code) {
  return Find(kOccupations, code);
}

std::string_view ChannelCode(Channel c) {
  switch (c) {
    case Channel::kWeb: return "web";
    case Channel::kPhone: return "phone";
    case Channel::kLetter: return "letter";
    case Channel::kFax: return "fax";
    case Channel::kEmail: return "email";
    case Channel::kPoster: return "poster";
    case Channel::kSheet: return "sheet";
  }
  return "";
}

std::optional<Channel> ParseChannel(std::string_view code) {
  for (Channel c : kChannelList) {
    if (ChannelCode(c) == code) return c;
  }
  return std::nullopt;
}

std::string_view LanguageCode(Language l) {
  switch (l) {
    case Language::kSimplified: return "zh-hans";
    case Language::kTraditional: return "zh-hant";
    case Language::kEnglish: return "en";
  }
  return "";
}

std::string_view LanguageHtmlTag(Language l) {
  switch (l) {
    case Language::kSimplified: return "zh-Hans";
    case Language::kTraditional: return "zh-Hant";
    case Language::kEnglish: return "en";
  }
  return "";
}

std::string_view LanguagePathPrefix(Language l) {
  switch (l) {
    case Language::kSimplified: return "";
    case Language::kTraditional: return "/zh-hant";
    case Language::kEnglish: return "/en";
  }
  return "";
}

std::optional<Language> ParseLanguage(std::string_view code) {
  for (Language l : kLanguages) {
    if (LanguageCode(l) == code) return l;
  }
  return std::nullopt;
}

std::string_view StatusCode(StatementStatus s) {
  switch (s) {
    case StatementStatus::kHeld: return "held";
    case StatementStatus::kPublished: return "published";
    case StatementStatus::kRejected: return "rejected";
    case StatementStatus::kWithdrawn: return "withdrawn";
    case StatementStatus::kAccepted: return "accepted";
  }
  return "";
}

}  // namespace tuidang
