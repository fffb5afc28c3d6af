#include "web/i18n.h"

#include <gtest/gtest.h>

namespace tuidang::web {

TEST(I18n, CatalogsTranslateEveryLanguage) {
  auto c = Catalog::Load(Catalog::DefaultDir());
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->Tr(Language::kSimplified, "site.name"), "退党服务中心");
  EXPECT_EQ(c->Tr(Language::kTraditional, "site.name"), "退黨服務中心");
  EXPECT_EQ(c->Tr(Language::kEnglish, "site.name"), "Service Center for Quitting the CCP");
  EXPECT_EQ(c->Format(Language::kEnglish, "list.page", 2, 7), "Page 2 of 7");
}

TEST(I18n, AcceptLanguage) {
  EXPECT_EQ(PreferredLanguage(""), Language::kSimplified);
  EXPECT_EQ(PreferredLanguage("en-US,en;q=0.5"), Language::kEnglish);
  EXPECT_EQ(PreferredLanguage("zh-TW,zh;q=0.9,en;q=0.8"), Language::kTraditional);
  EXPECT_EQ(PreferredLanguage("zh-CN,zh;q=0.9,en;q=0.8"), Language::kSimplified);
  EXPECT_EQ(PreferredLanguage("fr;q=1,en;q=0.2,zh-Hant;q=0.7"), Language::kTraditional);
  EXPECT_EQ(PreferredLanguage("de"), Language::kSimplified);
}

TEST(I18n, HomeLanguageIsEnglishOnlyWithoutChinese) {
  EXPECT_EQ(HomeLanguage(""), Language::kSimplified);
  EXPECT_EQ(HomeLanguage("en-US,en;q=0.5"), Language::kEnglish);
  EXPECT_EQ(HomeLanguage("en"), Language::kEnglish);
  EXPECT_EQ(HomeLanguage("en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7"), Language::kSimplified);
  EXPECT_EQ(HomeLanguage("en-US,en;q=0.9,zh;q=0.1"), Language::kSimplified);
  EXPECT_EQ(HomeLanguage("en,zh-TW;q=0.5"), Language::kTraditional);
  EXPECT_EQ(HomeLanguage("en,zh-HK;q=0.5"), Language::kTraditional);
  EXPECT_EQ(HomeLanguage("en,zh-Hant-TW;q=0.5"), Language::kTraditional);
  EXPECT_EQ(HomeLanguage("en,zh-TW;q=0.4,zh-CN;q=0.6"), Language::kSimplified);
  EXPECT_EQ(HomeLanguage("zh-TW,zh;q=0.9,en;q=0.8"), Language::kTraditional);
  EXPECT_EQ(HomeLanguage("en,zh;q=0"), Language::kEnglish);  // q=0: Chinese refused
  EXPECT_EQ(HomeLanguage("fr,de;q=0.5"), Language::kSimplified);
  EXPECT_EQ(HomeLanguage("fr,en;q=0.5"), Language::kEnglish);
  EXPECT_EQ(HomeLanguage("*"), Language::kSimplified);
}

}  // namespace tuidang::web
