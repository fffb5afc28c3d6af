#include "cli/office_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <sodium.h>

namespace tuidang::cli {

Result<safety::OfficeSecretKey> ReadOfficeSecretKey(const std::string& path, bool* unreadable) {
  if (unreadable) *unreadable = true;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error{"cannot read the office secret key " + path + ": " + std::strerror(errno)};
  }
  // A key file is one line of about 60 characters; the buffer is wiped whatever happens,
  // so that no copy of the secret outlives this call in freed memory.
  char buf[4096];
  size_t used = 0;
  int error = 0;
  while (used < sizeof buf) {
    ssize_t n = ::read(fd, buf + used, sizeof buf - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (error != 0) {
    sodium_memzero(buf, sizeof buf);
    return Error{"cannot read the office secret key " + path + ": " + std::strerror(error)};
  }
  if (unreadable) *unreadable = false;
  auto key = safety::OfficeSecretKey::Parse(std::string_view(buf, used));
  sodium_memzero(buf, sizeof buf);
  if (!key) return Error{path + ": " + key.error()};
  return key;
}

}  // namespace tuidang::cli
