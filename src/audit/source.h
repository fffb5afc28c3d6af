// Where an auditor reads a log from: the files of a site, by paths relative to its root
// ("log/checkpoint", "log/tile/0/000", "api/v1/stats"). A live site over HTTP (HttpSource,
// http_source.h), a mirror folder (FolderSource), or memory (MemorySource, for tests).
//
// Nothing read through a source is trusted: the auditor checks every byte against the signed
// checkpoint. A source only has to say what it got, or that there is nothing at a path.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tuidang::audit {

// What a fetch gives: the bytes, nullopt when there is nothing at the path (HTTP 404 or
// 410, no such file), or an error for anything else (another HTTP status, a timeout, an I/O
// error), whose message names the URL or file.
using Fetched = Result<std::optional<std::string>>;

// Not thread-safe: one audit reads through a source at a time.
class LogSource {
 public:
  virtual ~LogSource() = default;

  // The bytes at `path`, relative to the site root, with no leading '/'.
  virtual Fetched FetchIfExists(std::string_view path) = 0;

  // Every path of `paths`, answers in the same order. The default fetches one after the
  // other; HttpSource overlaps the requests, which is what makes a remote audit fast.
  virtual std::vector<Fetched> FetchAll(std::span<const std::string> paths);

  // Where `path` is read from, for messages: a URL or a file name.
  virtual std::string Locate(std::string_view path) const = 0;

  // FetchIfExists, with nothing at the path an error: "missing file <file>" or
  // "<URL>: HTTP 404 (not found)".
  Result<std::string> Fetch(std::string_view path);

  // The message of Fetch when nothing is at `path`.
  virtual std::string NotFoundMessage(std::string_view path) const;
};

// The files of a mirror folder: `<root>/log/checkpoint`, `<root>/log/tile/...`. Paths with
// a ".." component or a leading '/' are refused: they are never part of a site.
class FolderSource : public LogSource {
 public:
  explicit FolderSource(std::string root);

  Fetched FetchIfExists(std::string_view path) override;
  std::string Locate(std::string_view path) const override;
  std::string NotFoundMessage(std::string_view path) const override;

 private:
  std::string root_;  // without a trailing '/', except for "/" itself
};

// Files in memory, for tests and benchmarks.
class MemorySource : public LogSource {
 public:
  void Put(std::string path, std::string data) { files_[std::move(path)] = std::move(data); }
  // nullptr when absent; the pointer lives until the next Put or Erase.
  std::string* Find(const std::string& path);
  void Erase(const std::string& path) { files_.erase(path); }
  // Every path stored, in order.
  std::vector<std::string> Paths() const;

  Fetched FetchIfExists(std::string_view path) override;
  std::string Locate(std::string_view path) const override;

  // How many fetches were answered (found or not).
  size_t fetches() const { return fetches_; }

 private:
  std::map<std::string, std::string, std::less<>> files_;
  size_t fetches_ = 0;
};

}  // namespace tuidang::audit
