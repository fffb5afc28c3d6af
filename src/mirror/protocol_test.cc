#include "mirror/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tuidang::mirror {
namespace {

TEST(AddEntriesHeaderTest, RoundTripsAndRefusesTruncation) {
  const AddEntriesHeader header{"example.org/log", 300, 1000, "tick"};
  const std::string bytes = FormatAddEntriesHeader(header);
  EXPECT_EQ(bytes.size(), 2 + 15 + 8 + 8 + 2 + 4u);
  EXPECT_EQ(bytes.substr(0, 2), std::string("\x00\x0f", 2));  // big-endian length
  std::string body = bytes + "rest";
  std::string_view view = body;
  auto parsed = ParseAddEntriesHeader(&view);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(*parsed, header);
  EXPECT_EQ(view, "rest");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::string_view shorter(bytes.data(), cut);
    EXPECT_FALSE(ParseAddEntriesHeader(&shorter).ok()) << cut;
    EXPECT_EQ(shorter.size(), cut);  // left as it was
  }
  std::string empty_origin = FormatAddEntriesHeader({"", 0, 0, ""});
  std::string_view e = empty_origin;
  EXPECT_FALSE(ParseAddEntriesHeader(&e).ok());
}

TEST(PackageTest, CanonicalSequenceAlignedAt256) {
  EXPECT_EQ(PackageCount(5, 5), 0u);
  EXPECT_EQ(PackageCount(0, 256), 1u);
  EXPECT_EQ(PackageCount(0, 257), 2u);
  ASSERT_EQ(PackageCount(300, 1000), 3u);
  EXPECT_EQ(Package(300, 1000, 0), (PackageRange{256, 300, 512}));
  EXPECT_EQ(Package(300, 1000, 1), (PackageRange{512, 512, 768}));
  EXPECT_EQ(Package(300, 1000, 2), (PackageRange{768, 768, 1000}));
  ASSERT_EQ(PackageCount(10, 20), 1u);
  EXPECT_EQ(Package(10, 20, 0), (PackageRange{0, 10, 20}));
}

// Sizes near 2^64: rounding upload_end up to a multiple of 256 would overflow.
TEST(PackageTest, NoOverflowNearTwoToThe64) {
  const uint64_t end = UINT64_MAX;
  const uint64_t start = end - 300;
  ASSERT_EQ(PackageCount(start, end), 2u);
  const PackageRange last = Package(start, end, 1);
  EXPECT_EQ(last.end, end);
  EXPECT_EQ(last.subtree_start, end / 256 * 256);
  EXPECT_EQ(PackageCount(0, end), end / 256 + 1);
}

TEST(EntryPackageTest, RoundTripsAndRefusesTruncation) {
  std::vector<std::string_view> entries = {"a", "", std::string_view("b\0c", 3)};
  std::vector<tlog::Hash> proof(2);
  proof[1][31] = 7;
  std::string bytes;
  AppendPackage(&bytes, entries, proof);
  EXPECT_EQ(bytes.size(), 3 + 2 + 5 + 1 + 64u);
  std::string body = bytes + "x";
  std::string_view view = body;
  auto package = ParsePackage(&view, 3);
  ASSERT_TRUE(package.ok()) << package.error();
  EXPECT_EQ(package->entries, entries);
  EXPECT_EQ(package->proof, proof);
  EXPECT_EQ(view, "x");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::string_view shorter(bytes.data(), cut);
    EXPECT_FALSE(ParsePackage(&shorter, 3).ok()) << cut;
  }
  std::string many;
  AppendPackage(&many, entries, {});
  many.back() = 64;  // num_hashes above 63
  many += std::string(64 * 32, 'h');
  std::string_view m = many;
  EXPECT_FALSE(ParsePackage(&m, 3).ok());
}

TEST(MirrorInfoTest, FormatsThreeLinesAndParsesStrictly) {
  EXPECT_EQ(FormatMirrorInfo({1000, 512, ""}), "1000\n512\n\n");
  EXPECT_EQ(FormatMirrorInfo({1, 2, "t"}), "1\n2\ndA==\n");
  auto info = ParseMirrorInfo("1000\n512\n\n");
  ASSERT_TRUE(info.ok()) << info.error();
  EXPECT_EQ(*info, (MirrorInfo{1000, 512, ""}));
  EXPECT_EQ(*ParseMirrorInfo("1\n2\ndA==\n"), (MirrorInfo{1, 2, "t"}));
  for (std::string_view bad : {"1000\n512\n", "1000\n512\n\nx", "01\n2\n\n", "1\n2\ndA=\n",
                               "18446744073709551616\n0\n\n", "1 \n2\n\n"}) {
    EXPECT_FALSE(ParseMirrorInfo(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tuidang::mirror
