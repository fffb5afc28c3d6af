#include "testing/temp_dir.h"

#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace tuidang::test {

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    std::perror(("mkdtemp " + pattern).c_str());
    std::abort();
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;  // a folder already gone, or a file still busy: nothing to do
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tuidang::test
