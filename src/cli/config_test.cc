#include "cli/config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace tuidang {

namespace {
std::string Write(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("tuidang-config-" + std::to_string(getpid()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST(Config, DefaultTextLoadsAsDefaults) {
  auto c = LoadConfig(Write(DefaultConfigText()));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->publish_policy, "publish");
  EXPECT_EQ(c->read_threads, 1);
  auto off = LoadConfig(Write("read_threads = 0\n"));
  ASSERT_TRUE(off) << off.error();
  EXPECT_EQ(off->read_threads, 0);
}

TEST(Config, ProtectionsAreOnByDefaultInTheFileAndWithout) {
  // The file `init` writes and an empty file (every key missing) give the same, safe,
  // settings (docs/deploy-safety.md).
  const Config d0;
  for (const std::string& text : {DefaultConfigText(), std::string()}) {
    auto c = LoadConfig(Write(text));
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->client_key, "auto");
    EXPECT_EQ(c->flood_policy, "hold");
    EXPECT_EQ(c->pow_policy, "hold");
    EXPECT_GT(c->submissions_per_client_per_hour, 0);
    EXPECT_GT(c->receipt_lookups_per_client_per_hour, 0);
    EXPECT_GT(c->lookups_per_receipt_per_hour, 0);
    EXPECT_EQ(c->failed_receipt_lookups_per_client_per_hour,
              d0.failed_receipt_lookups_per_client_per_hour);
    EXPECT_EQ(c->receipt_lookups_per_minute, d0.receipt_lookups_per_minute);
    EXPECT_EQ(c->failed_receipt_lookups_per_minute, d0.failed_receipt_lookups_per_minute);
    EXPECT_EQ(c->failed_old_receipt_lookups_per_hour, d0.failed_old_receipt_lookups_per_hour);
    EXPECT_GT(c->receipt_lookups_per_minute, 0);
    EXPECT_GT(c->failed_receipt_lookups_per_minute, 0);
    EXPECT_GT(c->failed_old_receipt_lookups_per_hour, 0);
    EXPECT_GT(c->submissions_per_minute, 0);
    EXPECT_GT(c->operator_actions_per_minute, 0);
    Config d;
    EXPECT_EQ(c->submissions_per_client_per_hour, d.submissions_per_client_per_hour);
    EXPECT_EQ(c->submissions_per_minute, d.submissions_per_minute);
    EXPECT_EQ(c->flood_burst, d.flood_burst);
    EXPECT_EQ(c->pow_min_bits, d.pow_min_bits);
    EXPECT_EQ(c->max_connections_per_client, 64);
    EXPECT_EQ(c->header_timeout_seconds, 5);
    EXPECT_TRUE(c->trusted_proxies.empty()) << "no proxy is trusted unless named";
  }
  EXPECT_TRUE(LoadConfig(Write("client_key = \"address\"\n")));
  EXPECT_FALSE(LoadConfig(Write("client_key = \"maybe\"\n")));
}

TEST(Config, RejectsUnknownKeysAndBadValues) {
  EXPECT_FALSE(LoadConfig(Write("listn = \"x\"\n")));
  EXPECT_FALSE(LoadConfig(Write("threads = \"two\"\n")));
  EXPECT_FALSE(LoadConfig(Write("threads = 0\n")));
  EXPECT_FALSE(LoadConfig(Write("read_threads = -1\n")));
  EXPECT_FALSE(LoadConfig(Write("read_threads = 65\n")));
  EXPECT_FALSE(LoadConfig(Write("publish_policy = \"maybe\"\n")));
  auto c = LoadConfig(Write("publish_policy = \"hold\"\nmax_connections = 50\n"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->max_connections, 50);
  EXPECT_EQ(c->publish_policy, "hold");
  EXPECT_FALSE(LoadConfig(Write("header_timeout_seconds = 0\n")));
  EXPECT_FALSE(LoadConfig(Write("max_connections_per_client = -1\n")));
  c = LoadConfig(Write("max_connections_per_client = 0\nheader_timeout_seconds = 2\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->max_connections_per_client, 0);
  EXPECT_EQ(c->header_timeout_seconds, 2);
}

TEST(Config, AddressesPrintedOnTheLogPageHaveTheirScheme) {
  // /log prints `tuidang audit <public_url>`: without a scheme the audit takes it for a
  // folder, so the configuration refuses it (issue 15).
  auto bare = LoadConfig(Write("public_url = \"example.org\"\n"));
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().find("'public_url' must start with http:// or https://"),
            std::string::npos)
      << bare.error();
  EXPECT_FALSE(LoadConfig(Write("software_url = \"ftp://example.org/tuidang\"\n")));
  auto c =
      LoadConfig(Write("public_url = \"https://example.org\"\n"
                       "software_url = \"https://example.org/tuidang/\"\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->software_url, "https://example.org/tuidang/");
  auto unset = LoadConfig(Write(DefaultConfigText()));
  ASSERT_TRUE(unset) << unset.error();
  EXPECT_EQ(unset->software_url, "");
}

TEST(Config, PolicyPerChannelDefaultsToTheOldKeys) {
  auto c = LoadConfig(Write(DefaultConfigText()));
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->PublishAtOnce("web"));
  EXPECT_TRUE(c->PublishAtOnce("letter"));
  EXPECT_EQ(c->rejected_retention_hours, 720);
  c =
      LoadConfig(Write("publish_policy = \"hold\"\noperator_policy = \"hold\"\n"
                       "[policy]\nphone = \"publish\"\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->PublishAtOnce("web"));
  EXPECT_TRUE(c->PublishAtOnce("phone"));
  EXPECT_FALSE(c->PublishAtOnce("letter"));
  EXPECT_FALSE(c->PublishAtOnce("import"));
  EXPECT_FALSE(LoadConfig(Write("[policy]\npigeon = \"hold\"\n")));
  EXPECT_FALSE(LoadConfig(Write("[policy]\nweb = \"later\"\n")));
  EXPECT_FALSE(LoadConfig(Write("policy = \"hold\"\n")));
  EXPECT_FALSE(LoadConfig(Write("rejected_retention_hours = -1\n")));
}

TEST(Config, WitnessesAndTheirPolicy) {
  // A real cosignature key (witness.example.com/w1 of tlog/cosignature_test.cc).
  const std::string key =
      "witness.example.com/w1+a0059f11+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
  const std::string table =
      "[[witness]]\nname = \"w1\"\nkey = \"" + key + "\"\nurl = \"http://127.0.0.1:9/\"\n";
  auto none = LoadConfig(Write(""));
  ASSERT_TRUE(none) << none.error();
  EXPECT_EQ(none->witness_policy_text, "quorum none\n");
  auto all = LoadConfig(Write(table));
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->witness_policy_text, "witness w1 " + key +
                                          " http://127.0.0.1:9/\ngroup all-witnesses all w1\n"
                                          "quorum all-witnesses\n");
  EXPECT_FALSE(all->witness_wait_for_quorum);
  auto quorum =
      LoadConfig(Write(table + "[witnessing]\npolicy = \"quorum w1\"\npublish = \"quorum\"\n"
                               "quorum_wait_seconds = 5\n"));
  ASSERT_TRUE(quorum) << quorum.error();
  EXPECT_TRUE(quorum->witness_wait_for_quorum);
  EXPECT_EQ(quorum->witness_quorum_wait_seconds, 5);
  EXPECT_TRUE(quorum->witness_policy_text.ends_with("quorum w1\n"));
  struct Case {
    std::string text, error;
  };
  const Case cases[] = {
      {"[[witness]]\nname = \"w1\"\nkey = \"" + key + "\"\n", "has no 'url'"},
      {"[[witness]]\nname = \"w1\"\nkey = \"x\"\nurl = \"http://a\"\n", "bad key for witness 'w1'"},
      {table + "[[witness]]\nname = \"w2\"\nkey = \"" + key + "\"\nurl = \"http://b\"\n",
       "the same public key is listed twice"},
      {table + "[witnessing]\npolicy = \"group g 2 w1\\nquorum g\"\n", "the threshold"},
      {table + "[witnessing]\npublish = \"later\"\n", "publish must be"},
      {table + "[witnessing]\nquorum_wait_seconds = 0\n", "quorum_wait_seconds must be"},
      {table + "[witnessing]\npolicy_file = \"/nonexistent/policy\"\n", "cannot read"},
      {"[[witness]]\nname = \"w1\"\nkey = \"" + key + "\"\nurl = \"ftp://a\"\n", "no http://"},
      {"[[witness]]\nnom = \"w1\"\n", "unknown setting 'nom'"},
      {"witness = 3\n", "[[witness]] tables"},
  };
  for (const Case& c : cases) {
    auto r = LoadConfig(Write(c.text));
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(".toml"), std::string::npos) << r.error();
  }
}

TEST(Config, MirrorsAndWhereTheirCopiesAreRead) {
  const std::string key =
      "witness.example.com/w1+a0059f11+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
  const std::string table =
      "[[mirror]]\nname = \"m1\"\nkey = \"" + key + "\"\nurl = \"http://127.0.0.1:9\"\n";
  auto c = LoadConfig(Write(table));
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->mirrors.size(), 1u);
  EXPECT_EQ(c->mirrors[0].monitoring_url, "");
  c = LoadConfig(Write(table + "monitoring_url = \"https://m.example/copies/\"\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->mirrors[0].url, "http://127.0.0.1:9");
  EXPECT_EQ(c->mirrors[0].monitoring_url, "https://m.example/copies/");
  for (const auto& [bad, message] : std::vector<std::pair<std::string, std::string>>{
           {table + "monitoring_url = \"ftp://m.example\"\n", "monitoring_url must start"},
           {table + "monitoring_url = \"\"\n", "'monitoring_url' must be a string"},
           {table + "copy = \"https://m.example\"\n", "unknown setting 'copy'"},
       }) {
    auto r = LoadConfig(Write(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find(message), std::string::npos) << r.error();
  }
}

TEST(Config, OnionAddressAndSiteMirrors) {
  const std::string onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad";
  auto c =
      LoadConfig(Write("onion_address = \"" + onion +
                       ".onion\"\n"
                       "site_mirrors = [\"https://a.example.org/td/\", \"http://b.example\"]\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->onion_address, "http://" + onion + ".onion/");
  EXPECT_EQ(c->site_mirrors,
            (std::vector<std::string>{"https://a.example.org/td/", "http://b.example"}));
  c = LoadConfig(Write("onion_address = \"https://" + onion + ".onion/\"\n"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->onion_address, "https://" + onion + ".onion/");
  // Defaults: none.
  c = LoadConfig(Write(DefaultConfigText()));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->onion_address, "");
  EXPECT_TRUE(c->site_mirrors.empty());
  for (const std::string& bad : std::vector<std::string>{
           "onion_address = \"example.org\"",
           "onion_address = \"http://" + onion.substr(1) + ".onion\"",       // 55 characters
           "onion_address = \"http://" + onion.substr(0, 55) + "1.onion\"",  // not base32
           "onion_address = \"http://" + onion.substr(0, 55) + "a.onion\"",  // not version 3
           "onion_address = \"http://" + onion + ".onion/path\"",
           "onion_address = 3",
           "site_mirrors = \"https://a.example\"",
           "site_mirrors = [\"ftp://a.example\"]",
           "site_mirrors = [\"https://a.example/\\\"><script>\"]",
           "site_mirrors = [\"https:///path\"]",
           "site_mirrors = [\"https://a.example\", \"https://a.example\"]",
       }) {
    auto r = LoadConfig(Write(bad + "\n"));
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find(bad.substr(0, bad.find(' '))), std::string::npos) << r.error();
  }
}

TEST(Config, ParseListen) {
  std::string host;
  uint16_t port;
  ASSERT_TRUE(ParseListen("127.0.0.2:9000", &host, &port));
  EXPECT_EQ(host, "127.0.0.2");
  EXPECT_EQ(port, 9000);
  ASSERT_TRUE(ParseListen("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(ParseListen("localhost", &host, &port));
  EXPECT_FALSE(ParseListen("h:99999", &host, &port));
}

}  // namespace tuidang
