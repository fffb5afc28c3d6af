#include "web/multipart.h"

#include <gtest/gtest.h>

namespace tuidang::web {

namespace {
const std::string kBody =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
    "abc\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"sheet \\\"1\\\".csv\"\r\n"
    "Content-Type: text/csv\r\n\r\n"
    "name,org\r\n\xe5\xbc\xa0,party\r\n\r\n"
    "--XyZ--\r\n";
}  // namespace

TEST(Multipart, Boundary) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=XyZ"), "XyZ");
  EXPECT_EQ(MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(MultipartBoundary("application/x-www-form-urlencoded"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=\"unterminated"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

TEST(Multipart, ParsesFieldsAndFilesExactly) {
  auto parts = ParseMultipart(kBody, "XyZ");
  ASSERT_TRUE(parts) << parts.error();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "csrf");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[0].data, "abc");
  EXPECT_EQ((*parts)[1].filename, "sheet \"1\".csv");
  EXPECT_EQ((*parts)[1].content_type, "text/csv");
  EXPECT_EQ((*parts)[1].data, "name,org\r\n\xe5\xbc\xa0,party\r\n");
  Form f = FieldsOf(*parts);
  EXPECT_EQ(f.GetOr("csrf"), "abc");
  EXPECT_FALSE(f.Get("file"));
}

TEST(Multipart, RefusesTruncatedAndMalformedBodies) {
  // Every proper prefix of a good body is refused: an upload cut short imports nothing.
  for (size_t n = 0; n + 2 < kBody.size(); ++n) {
    EXPECT_FALSE(ParseMultipart(kBody.substr(0, n), "XyZ")) << n;
  }
  EXPECT_FALSE(ParseMultipart(kBody + "junk", "XyZ"));
  EXPECT_FALSE(ParseMultipart(kBody, "Other"));
  EXPECT_FALSE(ParseMultipart("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", "XyZ"));
  EXPECT_FALSE(
      ParseMultipart("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "XyZ"));
  EXPECT_FALSE(ParseMultipart(
      "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--", "XyZ"));
  EXPECT_FALSE(ParseMultipart("--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--", "XyZ"));
  EXPECT_TRUE(
      ParseMultipart("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--", "XyZ"));
}

}  // namespace tuidang::web
