#include "audit/source.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "audit/http_source.h"

namespace tuidang::audit {
namespace {

TEST(FolderSourceTest, ReadsFilesAndTellsMissingOnes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("folder_source_test_{}", ::getpid());
  std::filesystem::create_directories(dir / "log");
  std::ofstream(dir / "log/checkpoint", std::ios::binary) << std::string("a\0b", 3);
  FolderSource source(dir.string());

  Fetched f = source.FetchIfExists("log/checkpoint");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(**f, std::string("a\0b", 3));
  f = source.FetchIfExists("log/tile/0/000");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_FALSE(f->has_value());
  Result<std::string> r = source.Fetch("log/tile/0/000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "missing file " + (dir / "log/tile/0/000").string());
  // Under a file rather than a folder: missing too.
  EXPECT_FALSE(source.FetchIfExists("log/checkpoint/x")->has_value());
  // A folder is not a file.
  EXPECT_FALSE(source.FetchIfExists("log").ok());
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "log/../log/checkpoint", "log//x", ""}) {
    EXPECT_FALSE(source.FetchIfExists(bad).ok()) << bad;
  }
  std::filesystem::remove_all(dir);
}

TEST(HttpSourceTest, AcceptsOnlyHttpSiteRoots) {
  for (const char* good :
       {"http://127.0.0.1:8080", "https://example.org/", "http://[::1]:80/mirror/"}) {
    EXPECT_TRUE(HttpSource::Open(good).ok()) << good;
  }
  for (const char* bad :
       {"ftp://example.org", "example.org", "file:///etc", "http://", "https://user:pw@example.org",
        "http://example.org/?q=1", "http://example.org/#x", ""}) {
    EXPECT_FALSE(HttpSource::Open(bad).ok()) << bad;
  }
  auto source = HttpSource::Open("https://example.org/mirror//");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->Locate("log/checkpoint"), "https://example.org/mirror/log/checkpoint");
}

// The sources honour proxy variables, as curl does; the test servers are on loopback.
void BypassProxies() {
  ::setenv("no_proxy", "127.0.0.1", 1);
  ::setenv("NO_PROXY", "127.0.0.1", 1);
}

// A loopback HTTP/1.1 server that answers from a table, one connection at a time.
class TinyServer {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::string headers;  // extra header lines, each ending in \r\n
  };

  explicit TinyServer(std::map<std::string, Answer> answers) : answers_(std::move(answers)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(fd_, 16), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      ++requests_;
      const size_t start = request.find(' ') + 1;
      const std::string path = request.substr(start, request.find(' ', start) - start);
      auto it = answers_.find(path);
      const Answer answer = it == answers_.end() ? Answer{404, "no", ""} : it->second;
      const std::string response =
          fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}",
                      answer.status, answer.body.size(), answer.headers, answer.body);
      size_t done = 0;
      while (done < response.size()) {
        const ssize_t n = ::write(c, response.data() + done, response.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  std::map<std::string, Answer> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(HttpSourceTest, MapsStatusesToAnswers) {
  BypassProxies();
  // "hello" gzipped, as a server sends a tile to a client that accepts it.
  const std::string gzipped(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05"
      "\x00\x00\x00",
      25);
  TinyServer server({
      {"/site/log/checkpoint", {200, "the checkpoint", ""}},
      {"/site/gone", {410, "", ""}},
      {"/site/broken", {503, "", ""}},
      {"/site/moved", {301, "", "Location: http://elsewhere.example/\r\n"}},
      {"/site/big", {200, std::string(2000, 'x'), ""}},
      {"/site/gz", {200, gzipped, "Content-Encoding: gzip\r\n"}},
  });
  HttpOptions options;
  options.max_response_bytes = 1000;
  options.parallel = 3;
  const std::string base = fmt::format("http://127.0.0.1:{}/site", server.port());
  auto source = HttpSource::Open(base + "/", options);
  ASSERT_TRUE(source.ok()) << source.error();
  HttpSource& s = **source;

  Result<std::string> checkpoint = s.Fetch("log/checkpoint");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error();
  EXPECT_EQ(*checkpoint, "the checkpoint");

  const std::string paths[] = {"log/checkpoint", "missing", "gone", "broken", "moved", "big", "gz"};
  std::vector<Fetched> got = s.FetchAll(paths);
  ASSERT_EQ(got.size(), 7u);
  ASSERT_TRUE(got[0].ok()) << got[0].error();
  EXPECT_EQ(**got[0], "the checkpoint");
  ASSERT_TRUE(got[1].ok());
  EXPECT_FALSE(got[1]->has_value());
  ASSERT_TRUE(got[2].ok());
  EXPECT_FALSE(got[2]->has_value());
  ASSERT_FALSE(got[3].ok());
  EXPECT_EQ(got[3].error(), "GET " + base + "/broken: HTTP 503");
  ASSERT_FALSE(got[4].ok());
  EXPECT_TRUE(got[4].error().starts_with("GET " + base +
                                         "/moved: HTTP 301 (redirects are not "
                                         "followed"))
      << got[4].error();
  ASSERT_FALSE(got[5].ok());
  EXPECT_EQ(got[5].error(), "GET " + base + "/big: answer larger than 1000 bytes");
  ASSERT_TRUE(got[6].ok()) << got[6].error();
  EXPECT_EQ(**got[6], "hello");
  EXPECT_EQ(server.requests(), 8);

  Result<std::string> missing = s.Fetch("missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "GET " + base + "/missing: HTTP 404 (not found)");
}

TEST(HttpSourceTest, ConnectionErrorsNameTheUrl) {
  BypassProxies();
  // A port that was just free: nothing listens there.
  int port = 0;
  {
    TinyServer server({});
    port = server.port();
  }
  auto source = HttpSource::Open(fmt::format("http://127.0.0.1:{}", port));
  ASSERT_TRUE(source.ok());
  Fetched f = (*source)->FetchIfExists("log/checkpoint");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.error().starts_with(fmt::format("GET http://127.0.0.1:{}/log/checkpoint: ", port)))
      << f.error();
}

}  // namespace
}  // namespace tuidang::audit
