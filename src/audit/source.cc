#include "audit/source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tuidang::audit {

namespace {

// Bounds what a mirror folder can make us read into memory at once. The largest file of a
// site is an entry bundle: 256 entries of at most 64 KiB, 16 MiB and a little more.
constexpr off_t kMaxFileSize = off_t{64} << 20;

bool IsSitePath(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::vector<Fetched> LogSource::FetchAll(std::span<const std::string> paths) {
  std::vector<Fetched> out;
  out.reserve(paths.size());
  for (const std::string& path : paths) out.push_back(FetchIfExists(path));
  return out;
}

Result<std::string> LogSource::Fetch(std::string_view path) {
  Fetched fetched = FetchIfExists(path);
  if (!fetched) return Error{fetched.error()};
  if (!fetched->has_value()) return Error{NotFoundMessage(path)};
  return std::move(**fetched);
}

std::string LogSource::NotFoundMessage(std::string_view path) const {
  return fmt::format("{}: not found", Locate(path));
}

FolderSource::FolderSource(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string FolderSource::Locate(std::string_view path) const {
  return root_ == "/" ? fmt::format("/{}", path) : fmt::format("{}/{}", root_, path);
}

std::string FolderSource::NotFoundMessage(std::string_view path) const {
  return fmt::format("missing file {}", Locate(path));
}

Fetched FolderSource::FetchIfExists(std::string_view path) {
  if (!IsSitePath(path)) return Error{fmt::format("{:?}: not a path inside the site", path)};
  const std::string file = Locate(path);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return Error{fmt::format("{}: {}", file, std::strerror(errno))};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format("{}: not a regular file", file)};
  }
  if (st.st_size > kMaxFileSize) {
    ::close(fd);
    return Error{fmt::format("{}: larger than {} bytes", file, kMaxFileSize)};
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(fd);
      return Error{fmt::format("{}: {}", file, err ? std::strerror(err) : "shorter than its size")};
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::optional<std::string>(std::move(data));
}

std::string* MemorySource::Find(const std::string& path) {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> MemorySource::Paths() const {
  std::vector<std::string> paths;
  paths.reserve(files_.size());
  for (const auto& [path, data] : files_) paths.push_back(path);
  return paths;
}

Fetched MemorySource::FetchIfExists(std::string_view path) {
  ++fetches_;
  auto it = files_.find(path);
  if (it == files_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

std::string MemorySource::Locate(std::string_view path) const {
  return fmt::format("memory:{}", path);
}

}  // namespace tuidang::audit
