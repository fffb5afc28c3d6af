#include "web/i18n.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <boost/locale.hpp>

namespace tuidang::web {

namespace {
constexpr std::array<const char*, 3> kLocaleNames = {"zh_CN.UTF-8", "zh_TW.UTF-8", "en_US.UTF-8"};
constexpr std::array<const char*, 3> kLocaleDirs = {"zh_CN", "zh_TW", "en"};
}  // namespace

Result<Catalog> Catalog::Load(const std::string& dir) {
  Catalog c;
  for (size_t i = 0; i < kLocaleDirs.size(); ++i) {
    auto mo = std::filesystem::path(dir) / kLocaleDirs[i] / "LC_MESSAGES" / "tuidang.mo";
    if (!std::filesystem::exists(mo)) return Error{"missing translation catalog " + mo.string()};
  }
  boost::locale::generator gen;
  gen.add_messages_path(dir);
  gen.add_messages_domain("tuidang");
  gen.locale_cache_enabled(true);
  // Boost.Locale looks up "<language>_<COUNTRY>" and then "<language>"; our English catalog
  // sits under "en" and the Chinese ones under their country forms.
  for (size_t i = 0; i < kLocaleNames.size(); ++i) c.locales_[i] = gen(kLocaleNames[i]);
  if (c.Tr(Language::kEnglish, "site.name") == "site.name") {
    return Error{"translation catalogs in " + dir + " do not define site.name"};
  }
  return c;
}

std::string Catalog::Tr(Language lang, std::string_view key) const {
  size_t i = static_cast<size_t>(lang);
  std::string k(key);
  {
    ReaderMutexLock lock(&memo_->mu);
    auto it = memo_->entries[i].find(k);
    if (it != memo_->entries[i].end()) return it->second;
  }
  std::string value = boost::locale::translate(k).str(locales_[i]);
  WriterMutexLock lock(&memo_->mu);
  memo_->entries[i].emplace(std::move(k), value);
  return value;
}

std::string Catalog::DefaultDir() {
  if (const char* env = std::getenv("TUIDANG_LOCALE_DIR"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = exe.parent_path() / "locale";
    if (std::filesystem::exists(beside / "en" / "LC_MESSAGES" / "tuidang.mo")) return beside;
    auto share = exe.parent_path().parent_path() / "share" / "tuidang" / "locale";
    if (std::filesystem::exists(share)) return share;
  }
  return "/usr/share/tuidang/locale";
}

namespace {

struct LanguageTag {
  std::optional<Language> lang;  // nullopt: none of ours
  double q = 1.0;
};

// Calls fn(tag) for each entry "tag;q=0.8" of a comma-separated Accept-Language header.
template <typename Fn>
void ForEachTag(std::string_view header, Fn fn) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    std::string_view tag = item.substr(0, item.find(';'));
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    LanguageTag out;
    if (auto qp = item.find("q="); qp != std::string_view::npos) {
      out.q = std::atof(std::string(item.substr(qp + 2)).c_str());
    }
    std::string t(tag);
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (t == "zh-tw" || t == "zh-hk" || t == "zh-mo" || t.starts_with("zh-hant")) {
      out.lang = Language::kTraditional;
    } else if (t == "zh" || t.starts_with("zh-")) {
      out.lang = Language::kSimplified;
    } else if (t == "en" || t.starts_with("en-")) {
      out.lang = Language::kEnglish;
    }
    fn(out);
    if (end == header.size()) break;
  }
}

}  // namespace

Language PreferredLanguage(std::string_view header) {
  // The highest q wins, earlier on ties.
  double best_q = -1;
  Language best = Language::kSimplified;
  ForEachTag(header, [&](const LanguageTag& t) {
    if (t.lang && t.q > best_q) {
      best_q = t.q;
      best = *t.lang;
    }
  });
  return best;
}

Language HomeLanguage(std::string_view header) {
  double best_chinese_q = 0;
  Language chinese = Language::kSimplified;
  bool english = false;
  ForEachTag(header, [&](const LanguageTag& t) {
    if (!t.lang || t.q <= 0) return;
    if (*t.lang == Language::kEnglish) {
      english = true;
    } else if (t.q > best_chinese_q) {
      best_chinese_q = t.q;
      chinese = *t.lang;
    }
  });
  if (best_chinese_q > 0) return chinese;
  return english ? Language::kEnglish : Language::kSimplified;
}

}  // namespace tuidang::web
