#include "tlog/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tuidang::tlog {
namespace {

Hash H(std::string_view hex) { return *HashFromHex(hex); }

// The leaves of the reference tree of RFC 6962 tests (transparency-dev/merkle testonly).
std::vector<std::string> ReferenceLeaves() {
  return {"",
          std::string(1, '\x00'),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

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
  const char* kRoots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
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
