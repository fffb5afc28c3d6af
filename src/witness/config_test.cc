#include "witness/config.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "testing/temp_dir.h"

namespace tuidang::witness {
namespace {

constexpr std::string_view kLogKey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

std::string Write(const test::TempDir& dir, const std::string& text) {
  const std::string path = dir.File("witness.toml");
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

TEST(WitnessConfigTest, ReadsNameListenAndLogs) {
  test::TempDir dir;
  auto config = LoadWitnessConfig(Write(dir,
                                        "name = \"w.example/w1\"\nlisten = \"127.0.0.1:9\"\n"
                                        "threads = 3\n[[log]]\norigin = \"example.com/foo\"\n"
                                        "key = \"" +
                                            std::string(kLogKey) +
                                            "\"\n"
                                            "[[log]]\norigin = \"other\"\nkeys = [\"" +
                                            std::string(kLogKey) + "\"]\n"));
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->name, "w.example/w1");
  EXPECT_EQ(config->listen, "127.0.0.1:9");
  EXPECT_EQ(config->threads, 3);
  ASSERT_EQ(config->logs.size(), 2u);
  EXPECT_EQ(config->logs[0].origin, "example.com/foo");
  EXPECT_EQ(config->logs[0].keys.at(0).VerifierKey(), kLogKey);
  EXPECT_EQ(config->logs[1].origin, "other");
}

TEST(WitnessConfigTest, ReadsWhichLogsArePolled) {
  test::TempDir dir;
  const std::string key = "key = \"" + std::string(kLogKey) + "\"\n";
  auto config = LoadWitnessConfig(
      Write(dir, "name = \"w.example/w1\"\n[[log]]\norigin = \"pushed\"\n" + key +
                     "[[log]]\norigin = \"polled\"\n" + key +
                     "poll = \"https://center.example/log\"\n[[log]]\norigin = \"slow\"\n" + key +
                     "poll = \"http://127.0.0.1:9/log\"\npoll_interval_seconds = 3600\n"));
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->logs.size(), 3u);
  ASSERT_EQ(config->polled.size(), 2u);
  EXPECT_EQ(config->polled[0].origin, "polled");
  EXPECT_EQ(config->polled[0].url, "https://center.example/log");
  EXPECT_EQ(config->polled[0].interval, std::chrono::seconds(kDefaultPollIntervalSeconds));
  EXPECT_EQ(config->polled[1].origin, "slow");
  EXPECT_EQ(config->polled[1].interval, std::chrono::seconds(3600));
  for (const char* bad : {"poll = \"ftp://x/log\"\n", "poll = 3\n",
                          "poll = \"https://x/log\"\npoll_interval_seconds = 0\n",
                          "poll = \"https://x/log\"\npoll_interval_seconds = 86401\n",
                          "poll_interval_seconds = 5\n"}) {
    auto refused = LoadWitnessConfig(
        Write(dir, "name = \"w.example/w1\"\n[[log]]\norigin = \"o\"\n" + key + bad));
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().find("[[log]] 1: 'poll"), std::string::npos) << refused.error();
  }
}

TEST(WitnessConfigTest, NamesWhatIsWrong) {
  test::TempDir dir;
  const std::string log = "[[log]]\norigin = \"o\"\nkey = \"" + std::string(kLogKey) + "\"\n";
  struct Case {
    std::string text;
    std::string expected;  // a part of the message
  } cases[] = {
      {"name = \"w\"\n", "no [[log]]"},
      {log, "'name'"},
      {"name = \"has space\"\n" + log, "'name'"},
      {"name = \"w\"\ncolour = 1\n" + log, "unknown setting 'colour'"},
      {"name = \"w\"\nthreads = 0\n" + log, "'threads'"},
      {"name = \"w\"\n[[log]]\norigin = \"o\"\n", "'key' is missing"},
      {"name = \"w\"\n[[log]]\nkey = \"" + std::string(kLogKey) + "\"\n", "'origin'"},
      {"name = \"w\"\n[[log]]\norigin = \"o\"\nkey = \"nonsense\"\n", "not an Ed25519 note"},
      {"name = \"w\"\n[[log]]\norigin = \"o\"\nkey = \"" + std::string(kLogKey) + "\"\nx = 1\n",
       "unknown setting 'x'"},
      {"name = \"w\"\n" + log + log, "listed twice"},
      {"name = \"w\n", "witness.toml:1"},
  };
  for (const Case& c : cases) {
    auto config = LoadWitnessConfig(Write(dir, c.text));
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_NE(config.error().find(c.expected), std::string::npos) << config.error();
  }
  EXPECT_FALSE(LoadWitnessConfig(dir.File("missing.toml")).ok());
}

TEST(WitnessKeyTest, CreatesOnceOwnerOnlyAndChecksTheName) {
  test::TempDir dir;
  const std::string path = dir.File("witness.key");
  EXPECT_FALSE(LoadWitnessKey(path, "w.example/w1", /*create=*/false).ok());
  auto made = LoadWitnessKey(path, "w.example/w1", /*create=*/true);
  ASSERT_TRUE(made.ok()) << made.error();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadWitnessKey(path, "w.example/w1", /*create=*/true);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->Verifier().VerifierKey(), made->Verifier().VerifierKey());
  auto renamed = LoadWitnessKey(path, "w.example/w2", /*create=*/true);
  ASSERT_FALSE(renamed.ok());
  EXPECT_NE(renamed.error().find("w.example/w1"), std::string::npos);
  ::chmod(path.c_str(), 0644);
  EXPECT_NE(LoadWitnessKey(path, "w.example/w1", true).error().find("chmod 600"),
            std::string::npos);
  ::chmod(path.c_str(), 0600);
  std::ofstream(path, std::ios::trunc) << "PRIVATE+KEY+nonsense\n";
  EXPECT_FALSE(LoadWitnessKey(path, "w.example/w1", true).ok());
}

}  // namespace
}  // namespace tuidang::witness
