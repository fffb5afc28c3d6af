#include "web/form.h"

#include <gtest/gtest.h>

namespace tuidang::web {

TEST(Form, DecodesPlusAndPercent) {
  auto f = Form::Parse("name=%E7%8E%8B+%E5%B0%8F&org=party&org=league&empty=");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->Get("name"), "王 小");
  EXPECT_EQ(f->All("org").size(), 2u);
  EXPECT_EQ(*f->Get("empty"), "");
  EXPECT_FALSE(f->Get("missing"));
}

TEST(Form, RejectsBrokenEscapes) {
  EXPECT_FALSE(Form::Parse("name=%E7%8"));
  EXPECT_FALSE(Form::Parse("name=%zz"));
  EXPECT_FALSE(Form::Parse("name=%"));
}

TEST(Form, FindsDuplicates) {
  auto f = Form::Parse("name=a&org=party&org=league&name=b");
  ASSERT_TRUE(f);
  auto dup = f->FirstDuplicate([](std::string_view n) { return n == "org"; });
  ASSERT_TRUE(dup);
  EXPECT_EQ(*dup, "name");
}

TEST(Form, LimitsFieldCount) {
  std::string many;
  for (int i = 0; i < 1001; ++i) many += "a=1&";
  EXPECT_FALSE(Form::Parse(many));
}

TEST(Form, UrlEncodeRoundTrip) { EXPECT_EQ(*UrlDecode(UrlEncode("万顺 &=?")), "万顺 &=?"); }

}  // namespace tuidang::web
