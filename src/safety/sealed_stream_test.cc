#include "safety/sealed_stream.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace tuidang::safety {
namespace {

class SealedStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    auto k = OfficeSecretKey::Generate();
    ASSERT_TRUE(k.ok());
    key_ = std::make_unique<OfficeSecretKey>(std::move(*k));
  }
  // The sealed stream of `plain`, written in pieces of `piece` bytes.
  std::string SealToString(const std::string& plain, size_t piece) {
    FILE* f = std::tmpfile();
    auto w = SealedWriter::Start(key_->Public(), fileno(f));
    EXPECT_TRUE(w.ok());
    for (size_t i = 0; i < plain.size(); i += piece) {
      EXPECT_TRUE(w->Write(std::string_view(plain).substr(i, piece)).ok());
    }
    EXPECT_TRUE(w->Finish().ok());
    EXPECT_FALSE(w->Write("more").ok());
    std::string out = Slurp(f);
    std::fclose(f);
    return out;
  }
  static std::string Slurp(FILE* f) {
    std::string out;
    ::lseek(fileno(f), 0, SEEK_SET);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fileno(f), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  // Reads a stream back with `key`: the plaintext, or the error.
  Result<std::string> Open(const std::string& stream, const OfficeSecretKey& key) {
    FILE* f = std::tmpfile();
    EXPECT_EQ(::write(fileno(f), stream.data(), stream.size()),
              static_cast<ssize_t>(stream.size()));
    ::lseek(fileno(f), 0, SEEK_SET);
    auto r = SealedReader::Start(key, fileno(f));
    if (!r) {
      std::fclose(f);
      return Error{r.error()};
    }
    std::string plain;
    while (true) {
      auto chunk = r->Next();
      if (!chunk) {
        std::fclose(f);
        return Error{chunk.error()};
      }
      if (!chunk->has_value()) break;
      plain += **chunk;
    }
    std::fclose(f);
    return plain;
  }
  std::unique_ptr<OfficeSecretKey> key_;
};

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

TEST_F(SealedStreamTest, RoundTripsAnySizeInAnyPieces) {
  for (size_t n : {size_t{0}, size_t{1}, kSealedChunkBytes - 1, kSealedChunkBytes,
                   kSealedChunkBytes + 1, 3 * kSealedChunkBytes + 12345}) {
    std::string plain = Bytes(n);
    for (size_t piece : {size_t{1000}, size_t{65536}, size_t{1} << 20}) {
      auto back = Open(SealToString(plain, piece), *key_);
      ASSERT_TRUE(back.ok()) << n << " " << back.error();
      EXPECT_EQ(*back, plain) << n;
    }
  }
}

TEST_F(SealedStreamTest, HidesThePlaintext) {
  std::string plain = "王先生 declares 我退出 " + std::string(1000, 'x');
  std::string s = SealToString(plain, 100);
  EXPECT_EQ(s.find("王先生"), std::string::npos);
  EXPECT_EQ(s.find("xxxxxxxx"), std::string::npos);
  EXPECT_EQ(s.rfind(kSealedStreamMagic, 0), 0u);
}

TEST_F(SealedStreamTest, RefusesAnotherKey) {
  std::string s = SealToString(Bytes(5000), 5000);
  auto other = OfficeSecretKey::Generate();
  ASSERT_TRUE(other.ok());
  auto back = Open(s, *other);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().find("office key"), std::string::npos) << back.error();
}

TEST_F(SealedStreamTest, RefusesEveryCut) {
  std::string s = SealToString(Bytes(2 * kSealedChunkBytes + 10), 4096);
  // Every length shorter than the whole, including exactly at chunk boundaries.
  for (size_t len = 0; len < s.size(); len += (len < 300 ? 1 : 997)) {
    EXPECT_FALSE(Open(s.substr(0, len), *key_).ok()) << len;
  }
  EXPECT_FALSE(Open(s.substr(0, s.size() - 1), *key_).ok());
  size_t first_chunk_end = kSealedStreamMagic.size() + 80 + 24 + 4 + kSealedChunkBytes + 17;
  EXPECT_FALSE(Open(s.substr(0, first_chunk_end), *key_).ok());
  EXPECT_TRUE(Open(s, *key_).ok());
}

TEST_F(SealedStreamTest, RefusesChangedAppendedAndReorderedChunks) {
  std::string s = SealToString(Bytes(2 * kSealedChunkBytes + 10), 4096);
  for (size_t at : {size_t{0}, kSealedStreamMagic.size() + 5, kSealedStreamMagic.size() + 90,
                    kSealedStreamMagic.size() + 106, s.size() / 2, s.size() - 1}) {
    std::string t = s;
    t[at] = static_cast<char>(t[at] ^ 0x01);
    EXPECT_FALSE(Open(t, *key_).ok()) << at;
  }
  EXPECT_FALSE(Open(s + std::string(1, '\0'), *key_).ok());
  EXPECT_FALSE(Open(s + s.substr(s.size() - 30), *key_).ok());
  // The two full chunks swapped.
  size_t head = kSealedStreamMagic.size() + 80 + 24, chunk = 4 + kSealedChunkBytes + 17;
  std::string swapped = s.substr(0, head) + s.substr(head + chunk, chunk) + s.substr(head, chunk) +
                        s.substr(head + 2 * chunk);
  ASSERT_EQ(swapped.size(), s.size());
  EXPECT_FALSE(Open(swapped, *key_).ok());
}

}  // namespace
}  // namespace tuidang::safety
