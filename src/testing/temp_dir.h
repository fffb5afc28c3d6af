// A fresh, empty folder for one test, deleted with everything in it when the TempDir is
// destroyed (so a failed assertion cleans up too). Declare it before what keeps files open
// in it (a store), so that those close first. Not thread-safe; one per test.
#pragma once

#include <filesystem>
#include <string>

namespace tuidang::test {

class TempDir {
 public:
  // Creates <system temp>/<prefix>XXXXXX (mkdtemp: unique across processes and tests).
  // Aborts the test binary when the folder cannot be made: no test can run without it.
  explicit TempDir(const std::string& prefix = "tuidang-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the folder (nothing is created).
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tuidang::test
