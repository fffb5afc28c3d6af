#include "witness/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "tlog/note.h"

namespace tuidang::witness {

namespace {

const std::set<std::string> kTopLevel = {"name", "listen", "threads", "log"};
const std::set<std::string> kLogKeys = {"origin", "key", "keys", "poll", "poll_interval_seconds"};

// The [[log]]'s `poll` and `poll_interval_seconds`, when it is to be polled (poller.h).
Result<std::optional<PolledLog>> ReadPoll(const toml::table& t, const std::string& origin,
                                          const std::string& where) {
  const toml::node* url = t.get("poll");
  const toml::node* interval = t.get("poll_interval_seconds");
  if (url == nullptr) {
    if (interval != nullptr) {
      return Error{where + ": 'poll_interval_seconds' without 'poll' (the log's URL to poll)"};
    }
    return std::optional<PolledLog>();
  }
  PolledLog poll{origin, {}};
  auto text = url->value<std::string>();
  if (!text || !(text->starts_with("http://") || text->starts_with("https://"))) {
    return Error{where +
                 ": 'poll' must be the log's tlog-tiles URL, http:// or https://, where its "
                 "'checkpoint' is (for a tuidang center: https://HOST/log)"};
  }
  poll.url = *text;
  if (interval != nullptr) {
    auto n = interval->value<int64_t>();
    if (!n || *n < kMinPollIntervalSeconds || *n > 86400) {
      return Error{
          fmt::format("{}: 'poll_interval_seconds' must be a whole number from {} to "
                      "86400",
                      where, kMinPollIntervalSeconds)};
    }
    poll.interval = std::chrono::seconds(*n);
  }
  return std::optional<PolledLog>(std::move(poll));
}

Result<WitnessedLog> ReadLog(const toml::table& t, const std::string& where) {
  for (const auto& [k, v] : t) {
    if (!kLogKeys.contains(std::string(k.str()))) {
      return Error{fmt::format("{}: unknown setting '{}'", where, k.str())};
    }
  }
  WitnessedLog log;
  if (auto origin = t["origin"].value<std::string>()) log.origin = *origin;
  if (log.origin.empty() || log.origin.find('\n') != std::string::npos ||
      !tlog::IsNoteText(log.origin)) {
    return Error{
        fmt::format("{}: 'origin' must be the log's origin line, a non-empty string", where)};
  }
  std::vector<std::string> texts;
  if (const toml::node* key = t.get("key")) {
    if (auto text = key->value<std::string>()) texts.push_back(*text);
    else return Error{fmt::format("{}: 'key' must be a string (the log's verifier key)", where)};
  }
  if (const toml::node* keys = t.get("keys")) {
    const toml::array* array = keys->as_array();
    if (array == nullptr) return Error{fmt::format("{}: 'keys' must be a list of strings", where)};
    for (const toml::node& key : *array) {
      auto text = key.value<std::string>();
      if (!text) return Error{fmt::format("{}: 'keys' must be a list of strings", where)};
      texts.push_back(*text);
    }
  }
  if (texts.empty()) {
    return Error{fmt::format("{}: 'key' is missing (the log's verifier key, name+id+key)", where)};
  }
  for (const std::string& text : texts) {
    Result<tlog::NoteVerifier> verifier = tlog::NoteVerifier::Parse(text);
    if (!verifier) {
      return Error{fmt::format("{}: key {:?} is not an Ed25519 note verifier key: {}", where, text,
                               verifier.error())};
    }
    log.keys.push_back(std::move(*verifier));
  }
  return log;
}

Status WriteKeyFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Fail(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  const std::string line = text + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Fail(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  // The rename itself is durable once the folder is synced.
  const std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

}  // namespace

Result<WitnessConfig> LoadWitnessConfig(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    return Error{fmt::format("{}:{}: {}", path, err.source().begin.line, err.description())};
  }
  for (const auto& [k, v] : t) {
    if (!kTopLevel.contains(std::string(k.str()))) {
      return Error{fmt::format("{}: unknown setting '{}'", path, k.str())};
    }
  }
  WitnessConfig config;
  if (auto name = t["name"].value<std::string>()) config.name = *name;
  if (!tlog::IsValidKeyName(config.name)) {
    return Error{fmt::format(
        "{}: 'name' must be the witness's key name, e.g. \"witness.example.org/w1\" (no spaces, "
        "no '+')",
        path)};
  }
  if (const toml::node* listen = t.get("listen")) {
    auto text = listen->value<std::string>();
    if (!text) return Error{fmt::format("{}: 'listen' must be a string HOST:PORT", path)};
    config.listen = *text;
  }
  if (const toml::node* threads = t.get("threads")) {
    auto n = threads->value<int64_t>();
    if (!n || *n < 1 || *n > 64) {
      return Error{fmt::format("{}: 'threads' must be a whole number from 1 to 64", path)};
    }
    config.threads = static_cast<int>(*n);
  }
  const toml::array* logs = t["log"].as_array();
  if (logs == nullptr || logs->empty()) {
    return Error{fmt::format("{}: no [[log]] to witness (origin and key of each)", path)};
  }
  std::set<std::string> origins;
  for (size_t i = 0; i < logs->size(); ++i) {
    const std::string where = fmt::format("{}: [[log]] {}", path, i + 1);
    const toml::table* table = (*logs)[i].as_table();
    if (table == nullptr) return Error{where + ": must be a table"};
    Result<WitnessedLog> log = ReadLog(*table, where);
    if (!log) return Error{log.error()};
    if (!origins.insert(log->origin).second) {
      return Error{fmt::format("{}: origin {:?} is listed twice", where, log->origin)};
    }
    auto poll = ReadPoll(*table, log->origin, where);
    if (!poll) return Error{poll.error()};
    if (poll->has_value()) config.polled.push_back(std::move(**poll));
    config.logs.push_back(std::move(*log));
  }
  return config;
}

Result<tlog::Cosigner> LoadWitnessKey(const std::string& path, const std::string& name,
                                      bool create) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !create) {
      return Error{fmt::format("cannot read {}: {}", path, std::strerror(errno))};
    }
    Result<tlog::Cosigner> cosigner = tlog::Cosigner::Generate(name);
    if (!cosigner) return Error{"cannot make the witness key: " + cosigner.error()};
    if (Status s = WriteKeyFile(path, cosigner->SignerKey()); !s) return Error{s.message()};
    return cosigner;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return Error{path + " is readable by others: run chmod 600 " + path};
  }
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  if (!in && !in.eof()) return Error{"cannot read " + path};
  Result<tlog::Cosigner> cosigner = tlog::Cosigner::Parse(text);
  if (!cosigner) return Error{path + ": " + cosigner.error()};
  if (cosigner->name() != name) {
    return Error{fmt::format("{} is the key of {:?}, but the configuration names {:?}", path,
                             cosigner->name(), name)};
  }
  return cosigner;
}

}  // namespace tuidang::witness
