#include "web/gzip.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "web/page_cache.h"

namespace tuidang::web {

TEST(Gzip, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST(Gzip, RoundTripsThroughZlib) {
  std::string data(10000, 'a');
  auto gz = Gzip(data);
  ASSERT_TRUE(gz);
  EXPECT_LT(gz->size(), 200u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  std::string back(data.size(), '\0');
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(gz->data());
  zs.avail_in = static_cast<uInt>(gz->size());
  zs.next_out = reinterpret_cast<Bytef*>(back.data());
  zs.avail_out = static_cast<uInt>(back.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  inflateEnd(&zs);
  EXPECT_EQ(back, data);
}

TEST(Gzip, CompressesTextForClientsThatAcceptIt) {
  std::string page = "<!doctype html><p>" + std::string(2000, 'x') + "</p>";
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::vary, "Accept-Language");
  res.body() = page;
  Response plain = res;
  CompressForClient(plain, false);
  EXPECT_EQ(plain.body(), page);
  EXPECT_EQ(plain[http::field::vary], "Accept-Language, Accept-Encoding");
  CompressForClient(res, true);
  EXPECT_EQ(res[http::field::content_encoding], "gzip");
  EXPECT_LT(res.body().size(), 100u);
  // Not twice, and not what is not text.
  std::string once = res.body();
  CompressForClient(res, true);
  EXPECT_EQ(res.body(), once);
  EXPECT_EQ(res[http::field::vary], "Accept-Language, Accept-Encoding");
  Response image{http::status::ok, 11};
  image.set(http::field::content_type, "image/x-icon");
  image.body() = std::string(2000, 'x');
  CompressForClient(image, true);
  EXPECT_EQ(image.count(http::field::content_encoding), 0u);
  EXPECT_EQ(image.count(http::field::vary), 0u);
  // Too small to pay.
  Response small{http::status::ok, 11};
  small.set(http::field::content_type, "application/json");
  small.body() = "{}";
  CompressForClient(small, true);
  EXPECT_EQ(small.body(), "{}");
  EXPECT_EQ(small[http::field::vary], "Accept-Encoding");
}

TEST(Gzip, CachedPagesAreCompressedOnceNotPerRequest) {
  PageCache cache;
  uint64_t before = GzipRunsForTesting();
  cache.Put("day", 1,
            std::make_shared<const CachedBody>(
                Precompressed(std::string(5000, 'y'), "text/html; charset=utf-8")));
  EXPECT_EQ(GzipRunsForTesting(), before + 1);
  for (int i = 0; i < 100; ++i) {
    auto page = cache.Get("day", 1, std::chrono::seconds(0));
    ASSERT_TRUE(page && page->gzip);
    Response res = CachedBodyResponse(*page, i % 2 == 0, "text/html; charset=utf-8", "no-store");
    EXPECT_EQ(res[http::field::vary], "Accept-Encoding");
    EXPECT_EQ(res.count(http::field::content_encoding), i % 2 == 0 ? 1u : 0u);
  }
  EXPECT_EQ(GzipRunsForTesting(), before + 1);
}

}  // namespace tuidang::web
