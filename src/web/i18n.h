// Translation catalogs: every user-visible string comes from locale/<ll>/tuidang.po,
// compiled to .mo files and read with Boost.Locale's gettext backend. Message ids are
// symbolic keys ("home.title"), so a string missing from a catalog shows up as its key
// (and a test fails) instead of silently falling back to English text in the code.
#pragma once

#include <array>
#include <locale>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "core/mutex.h"
#include "core/result.h"
#include "core/vocabulary.h"

namespace tuidang::web {

class Catalog {
 public:
  // Loads the catalogs from `dir` (dir/<locale>/LC_MESSAGES/tuidang.mo). Fails if one of
  // the three languages has no catalog. Thread-safe after loading (read-only).
  static Result<Catalog> Load(const std::string& dir);

  // The translation of `key` in `lang`. Thread-safe.
  std::string Tr(Language lang, std::string_view key) const;
  // The translation with fmt-style "{}" arguments substituted.
  template <typename... Args>
  std::string Format(Language lang, std::string_view key, Args&&... args) const {
    return fmt::format(fmt::runtime(Tr(lang, key)), std::forward<Args>(args)...);
  }

  // The directory searched by default: $TUIDANG_LOCALE_DIR, else beside the executable
  // (build tree), else /usr/share/tuidang/locale.
  static std::string DefaultDir();

 private:
  std::array<std::locale, 3> locales_;
  // Translations already looked up: Boost.Locale's lookup builds strings and facets on
  // every call, and a day page asks for hundreds.
  struct Memo {
    SharedMutex mu;
    std::array<std::unordered_map<std::string, std::string>, 3> entries GUARDED_BY(mu);
  };
  std::shared_ptr<Memo> memo_ = std::make_shared<Memo>();
};

// The language the browser prefers among ours, from an Accept-Language header; Simplified
// Chinese when none of ours is named.
Language PreferredLanguage(std::string_view accept_language);
// The language of the home page "/" without a prefix: Chinese whenever the browser accepts
// any Chinese at all (privacy browsers and many Chinese readers send "en-US,en" first and
// Chinese after), Traditional when its best-liked Chinese tag is zh-TW, zh-HK, zh-MO or
// zh-Hant; English only when it names English and no Chinese; else Simplified Chinese.
// A tag with q=0 is refused, not asked for.
Language HomeLanguage(std::string_view accept_language);

}  // namespace tuidang::web
