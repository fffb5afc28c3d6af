#include "audit/state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tlog/note.h"

namespace tuidang::audit {

namespace {

std::string Reason() { return std::strerror(errno); }

std::string Folder(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<std::optional<std::string>> LoadState(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error{fmt::format("state file {}: {}", path, Reason())};
  }
  std::string data;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = Reason();
      ::close(fd);
      return Error{fmt::format("state file {}: {}", path, why)};
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > tlog::kMaxNoteSize) {
      ::close(fd);
      return Error{fmt::format("state file {}: larger than a checkpoint can be", path)};
    }
  }
  ::close(fd);
  return std::optional<std::string>(std::move(data));
}

Status SaveState(const std::string& path, const std::string& signed_checkpoint) {
  // The process ID keeps two audits that share a state file from writing one file at once.
  const std::string aside = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Fail(fmt::format("state file {}: {}", aside, Reason()));
  size_t done = 0;
  while (done < signed_checkpoint.size()) {
    const ssize_t n = ::write(fd, signed_checkpoint.data() + done, signed_checkpoint.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = Reason();
      ::close(fd);
      ::unlink(aside.c_str());
      return Status::Fail(fmt::format("state file {}: {}", aside, why));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  std::string why = synced ? "" : Reason();
  if (::close(fd) != 0 || !synced) {
    if (synced) why = Reason();
    ::unlink(aside.c_str());
    return Status::Fail(fmt::format("state file {}: {}", aside, why));
  }
  if (::rename(aside.c_str(), path.c_str()) != 0) {
    why = Reason();
    ::unlink(aside.c_str());
    return Status::Fail(fmt::format("state file {}: {}", path, why));
  }
  // The rename is durable once the folder is synced; a failure to sync it is not worth
  // failing an audit that succeeded for.
  const int dir = ::open(Folder(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

}  // namespace tuidang::audit
