#include "tlog/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/rfc6962_vectors.h"

namespace tuidang::tlog {
namespace {

Hash H(std::string_view hex) { return *HashFromHex(hex); }

using test::ReferenceLeaves;

TEST(HashTest, Rfc6962Vectors) {
  // transparency-dev/merkle rfc6962_test.go
  EXPECT_EQ(HashToHex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashToHex(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(HashToHex(LeafHash("L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

TEST(HashTest, NodeHashOfReferenceLeaves) {
  std::vector<std::string> leaves = ReferenceLeaves();
  EXPECT_EQ(LeafHash(leaves[1]),
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"));
  EXPECT_EQ(NodeHash(LeafHash(leaves[0]), LeafHash(leaves[1])),
            H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"));
  // Order matters.
  EXPECT_NE(NodeHash(LeafHash(leaves[1]), LeafHash(leaves[0])),
            NodeHash(LeafHash(leaves[0]), LeafHash(leaves[1])));
}

TEST(HashTest, RootFromHashesMatchesReferenceRoots) {
  const char* const* kRoots = test::kReferenceRoots;
  std::vector<Hash> hashes;
  for (const std::string& leaf : ReferenceLeaves()) hashes.push_back(LeafHash(leaf));
  for (size_t size = 0; size <= hashes.size(); ++size) {
    EXPECT_EQ(HashToHex(RootFromHashes(std::span(hashes).first(size))), kRoots[size])
        << "size " << size;
  }
}

TEST(HashTest, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : kVectors) {
    EXPECT_EQ(Base64Encode(bytes), text);
    Result<std::string> decoded = Base64Decode(text);
    ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error();
    EXPECT_EQ(*decoded, bytes);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(*Base64Decode(Base64Encode(all)), all);
}

TEST(HashTest, Base64RejectsNonCanonicalText) {
  for (const char* text :
       {"Zg", "Zg=", "Zg===", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "Zm9v ",
        "Zm9v====", "Z===", "Zm-v", "Zm_v", "Zg==Zg==", "Zm9v.", "====", "Zm\n9v"}) {
    EXPECT_FALSE(Base64Decode(text).ok()) << '"' << text << '"';
  }
}

TEST(HashTest, HashTextEncodings) {
  const Hash hash = LeafHash("tuidang");
  EXPECT_EQ(*HashFromBase64(HashToBase64(hash)), hash);
  EXPECT_EQ(*HashFromHex(HashToHex(hash)), hash);
  std::string upper = HashToHex(hash);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(*HashFromHex(upper), hash);

  EXPECT_FALSE(HashFromBase64(Base64Encode(std::string(31, 'a'))).ok());
  EXPECT_FALSE(HashFromBase64(Base64Encode(std::string(33, 'a'))).ok());
  EXPECT_FALSE(HashFromHex(HashToHex(hash).substr(2)).ok());
  EXPECT_FALSE(HashFromHex("g" + HashToHex(hash).substr(1)).ok());
  EXPECT_EQ(AsBytes(hash).size(), kHashSize);
}

}  // namespace
}  // namespace tuidang::tlog
