#include "core/text.h"

#include <gtest/gtest.h>

namespace tuidang {

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("王小明 abc"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(Text, NfcComposes) {
  EXPECT_EQ(Nfc("e\xCC\x81"), "\xC3\xA9");  // e + combining acute -> é
}

TEST(Text, TrimIncludesIdeographicSpace) {
  EXPECT_EQ(TrimSpace("\xE3\x80\x80 王 小明\t\n"), "王 小明");
  EXPECT_EQ(TrimSpace("   "), "");
}

TEST(Text, ForbiddenCharacters) {
  EXPECT_TRUE(
      HasForbiddenCharacter("a\x01"
                            "b",
                            TextKind::kSingleLine));
  EXPECT_TRUE(HasForbiddenCharacter("a\nb", TextKind::kSingleLine));
  EXPECT_FALSE(HasForbiddenCharacter("a\nb\tc", TextKind::kMultiLine));
  EXPECT_TRUE(HasForbiddenCharacter("a\x7F", TextKind::kMultiLine));
  EXPECT_TRUE(
      HasForbiddenCharacter("\xE2\x80\xAE"
                            "abc",
                            TextKind::kMultiLine));  // RLO
  EXPECT_TRUE(
      HasForbiddenCharacter("a\xE2\x80\x8B"
                            "b",
                            TextKind::kSingleLine));  // ZWSP
  EXPECT_FALSE(HasForbiddenCharacter("王小明", TextKind::kSingleLine));
}

TEST(Text, FoldsTraditionalToSimplifiedAndCase) {
  EXPECT_EQ(FoldName("萬順"), "万顺");
  EXPECT_EQ(FoldName("万顺"), "万顺");
  EXPECT_EQ(FoldName("Li HUA"), "li hua");
  EXPECT_NE(FoldName("王"), FoldName("汪"));
  // Canonically equivalent spellings fold alike: a compatibility ideograph (U+F900, 豈) is
  // normalised before the conversion, a decomposed accent composed after it.
  EXPECT_EQ(FoldName("\uF900"), FoldName("豈"));
  EXPECT_EQ(FoldName("\uF900"), "岂");
  EXPECT_EQ(FoldName("\U0002F800"), FoldName("丽"));
  EXPECT_EQ(FoldName("Jose\u0301"), FoldName("JOSÉ"));
}

TEST(Text, HtmlEscape) {
  EXPECT_EQ(HtmlEscape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
}

}  // namespace tuidang
