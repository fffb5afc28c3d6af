#include "web/json_keys.h"

#include <gtest/gtest.h>

namespace tuidang::web {

TEST(JsonKeys, FindsTheFirstDuplicateAtAnyDepth) {
  EXPECT_EQ(FirstDuplicateKey(R"({"name":"a","organisations":["party"]})", 8), std::nullopt);
  EXPECT_EQ(FirstDuplicateKey(R"({"name":"a","name":"b"})", 8), "name");
  // Escapes are decoded before keys are compared: "na\u006de" is "name".
  EXPECT_EQ(FirstDuplicateKey(R"({"name":"a","na\u006de":"b"})", 8), "name");
  EXPECT_EQ(FirstDuplicateKey(R"({"persons":[{"name":"a"},{"name":"b","real_name":true,)"
                              R"("name":"c"}]})",
                              8),
            "persons[1].name");
  EXPECT_EQ(FirstDuplicateKey(R"({"pow":{"nonce":"1","challenge":"x","nonce":"2"}})", 8),
            "pow.nonce");
  // The same key in two objects is no duplicate, nor the same value twice in an array.
  EXPECT_EQ(FirstDuplicateKey(R"({"a":{"k":1},"b":{"k":1},"c":[1,1,{"k":[{"k":0}]}]})", 8),
            std::nullopt);
  EXPECT_EQ(FirstDuplicateKey(R"([[0],[1,{"x":1,"x":2}]])", 8), "[1][1].x");
}

TEST(JsonKeys, LeavesInvalidJsonToTheCaller) {
  EXPECT_EQ(FirstDuplicateKey(R"({"name":"a","name":)", 8), std::nullopt);
  EXPECT_EQ(FirstDuplicateKey(R"({"a":{"a":{"a":{"x":1,"x":2}}}})", 2), std::nullopt);
}

}  // namespace tuidang::web
