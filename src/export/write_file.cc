#include "export/write_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace tuidang::exporter {

Status WriteAndRename(const std::string& tmp, const std::string& target, std::string_view data) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Fail(fmt::format("{}: {}", tmp, std::strerror(errno)));
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::Fail(fmt::format("{}: {}", tmp, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), target.c_str()) != 0) {
    return Status::Fail(fmt::format("{}: {}", target, std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace tuidang::exporter
