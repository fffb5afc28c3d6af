#include "export/log_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "audit/audit.h"
#include "audit/http_source.h"
#include "export/write_file.h"
#include "mirror/state.h"
#include "tlog/tile.h"

namespace tuidang::exporter {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLogDir = "log/";
// The copy as read, before it is verified; not part of the folder.
constexpr std::string_view kStagingDir = ".log-copy-tmp";

std::optional<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(s).str();
}

// Writes `data` to `path` through a temporary file beside it and a rename.
Status WriteWhole(const std::string& path, std::string_view data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::Fail(fmt::format("{}: {}", path, ec.message()));
  return WriteAndRename(path + ".tmp", path, data);
}

// The tile a "log/tile/..." path names; nullopt for any other path.
std::optional<tlog::TileId> TileOf(std::string_view path) {
  if (!path.starts_with(kLogDir)) return std::nullopt;
  auto id = tlog::ParseTilePath(path.substr(kLogDir.size()));
  if (!id) return std::nullopt;
  return *id;
}

// The copy of one origin in a `tuidang mirror serve` data folder: its mirror checkpoint and
// the tiles it covers, read from mirror.db as the mirror serves them.
class MirrorDbSource : public audit::LogSource {
 public:
  MirrorDbSource(std::string db_path, std::unique_ptr<mirror::MirrorState> state,
                 std::string origin)
      : db_path_(std::move(db_path)), state_(std::move(state)), origin_(std::move(origin)) {}

  audit::Fetched FetchIfExists(std::string_view path) override {
    if (path == audit::kCheckpointPath) {
      auto copy = state_->Read(origin_);
      if (!copy) return Error{fmt::format("{}: {}", db_path_, copy.error())};
      if (!copy->mirrored) return std::optional<std::string>();
      return std::optional<std::string>(copy->mirrored->note);
    }
    auto tile = TileOf(path);
    if (!tile) return std::optional<std::string>();
    auto data = state_->ServedTile(origin_, *tile);
    if (!data) return Error{fmt::format("{}: {}", Locate(path), data.error())};
    return std::move(*data);
  }

  std::string Locate(std::string_view path) const override {
    return fmt::format("{} ({} of {})", db_path_, path, origin_);
  }

 private:
  const std::string db_path_;
  std::unique_ptr<mirror::MirrorState> state_;
  const std::string origin_;
};

// Reads the copy for the auditor and keeps what it read in the staging folder: every file
// under log/ read once from the mirror, except the full tiles that the folder already holds
// from an earlier copy (immutable, and hashed again by the audit all the same). Other paths
// (the stats a site publishes) are not the log's: absent.
class CopyingSource : public audit::LogSource {
 public:
  CopyingSource(audit::LogSource* from, std::string out, std::string staging, LogCopyReport* r)
      : from_(from), out_(std::move(out)), staging_(std::move(staging)), report_(r) {}

  audit::Fetched FetchIfExists(std::string_view path) override {
    if (auto local = Local(path)) return std::move(*local);
    if (!path.starts_with(kLogDir)) return std::optional<std::string>();
    return Stage(path, from_->FetchIfExists(path));
  }

  std::vector<audit::Fetched> FetchAll(std::span<const std::string> paths) override {
    std::vector<audit::Fetched> out(paths.size(), std::optional<std::string>());
    std::vector<std::string> remote;
    std::vector<size_t> where;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (auto local = Local(paths[i])) {
        out[i] = std::move(*local);
      } else if (paths[i].starts_with(kLogDir)) {
        remote.push_back(paths[i]);
        where.push_back(i);
      }
    }
    std::vector<audit::Fetched> got = from_->FetchAll(remote);
    for (size_t j = 0; j < remote.size(); ++j) out[where[j]] = Stage(remote[j], std::move(got[j]));
    return out;
  }

  std::string Locate(std::string_view path) const override { return from_->Locate(path); }
  std::string NotFoundMessage(std::string_view path) const override {
    return from_->NotFoundMessage(path);
  }

 private:
  // What was read already (staged), or a full tile of the folder; nullopt: not here.
  std::optional<audit::Fetched> Local(std::string_view path) {
    if (auto staged = ReadWhole(staging_ + "/" + std::string(path))) {
      return audit::Fetched(std::optional<std::string>(std::move(*staged)));
    }
    auto tile = TileOf(path);
    if (!tile || !tile->is_full()) return std::nullopt;
    auto kept = ReadWhole(out_ + "/" + std::string(path));
    if (!kept) return std::nullopt;
    // Read again for a withdrawal's cancelled leaf (audit/reread.h): counted once.
    if (kept_.emplace(path).second) report_->kept++;
    return audit::Fetched(std::optional<std::string>(std::move(*kept)));
  }

  audit::Fetched Stage(std::string_view path, audit::Fetched got) {
    if (!got || !got->has_value()) return got;
    if (Status s = WriteWhole(staging_ + "/" + std::string(path), **got); !s) {
      return Error{s.message()};
    }
    report_->fetched++;
    return got;
  }

  audit::LogSource* from_;
  const std::string out_, staging_;
  LogCopyReport* report_;
  std::set<std::string, std::less<>> kept_;
};

// The partial tiles (hash tiles and entry bundles) of a tree of `size` leaves, as paths.
void PartialPaths(uint64_t size, std::set<std::string>* out) {
  for (const tlog::TileId& tile : tlog::NewTiles(0, size)) {
    if (tile.is_full()) continue;
    out->insert(std::string(kLogDir) + tlog::TilePath(tile));
    if (tile.level == 0) {
      out->insert(std::string(kLogDir) +
                  tlog::TilePath(tlog::TileId{tlog::kEntryBundleLevel, tile.index, tile.width}));
    }
  }
}

}  // namespace

Result<std::unique_ptr<audit::LogSource>> OpenMirrorCopy(const std::string& from,
                                                         const std::string& origin) {
  if (from.starts_with("http://") || from.starts_with("https://")) {
    auto http = audit::HttpSource::Open(from);
    if (!http) return Error{http.error()};
    return std::unique_ptr<audit::LogSource>(std::move(*http));
  }
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return Error{fmt::format("{}: neither an http(s):// address nor a folder", from)};
  }
  const std::string db = (fs::path(from) / "mirror.db").string();
  if (!fs::is_regular_file(db, ec)) {
    return Error{fmt::format("{}: no mirror.db (give a `tuidang mirror serve` data folder)", from)};
  }
  auto state = mirror::MirrorState::Open(db);
  if (!state) return Error{fmt::format("{}: {}", db, state.error())};
  auto copy = (*state)->Read(origin);
  if (!copy) return Error{fmt::format("{}: {}", db, copy.error())};
  if (!copy->mirrored) {
    return Error{fmt::format("{}: no cosigned copy of {} yet (is it in mirror.toml?)", db, origin)};
  }
  return std::unique_ptr<audit::LogSource>(
      std::make_unique<MirrorDbSource>(db, std::move(*state), origin));
}

Result<LogCopyReport> CopyLog(audit::LogSource& from, const tlog::NoteVerifier& key,
                              const std::string& origin, const std::string& out) {
  std::error_code ec;
  if (fs::exists(fs::path(out) / "manifest.txt", ec)) {
    return Error{fmt::format(
        "{} holds a site export (manifest.txt): its signed manifest would no longer match the "
        "copied log; copy the log into another folder",
        out)};
  }
  const std::string staging = (fs::path(out) / kStagingDir).string();
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Error{fmt::format("{}: {}", staging, ec.message())};
  auto cleanup = [&] { fs::remove_all(staging, ec); };

  LogCopyReport report;
  const std::string checkpoint_path = out + "/" + std::string(audit::kCheckpointPath);
  std::optional<std::string> previous = ReadWhole(checkpoint_path);
  CopyingSource source(&from, out, staging, &report);
  auto audited = audit::Audit(source, key, origin, previous);
  if (!audited) {
    cleanup();
    // The auditor calls the folder's checkpoint "the saved checkpoint": name the file.
    std::string message = audited.error();
    const std::string_view saved = "the saved checkpoint";
    if (size_t at = message.find(saved); previous && at != std::string::npos) {
      message.replace(at, saved.size(),
                      fmt::format("the folder's checkpoint ({})", checkpoint_path));
    }
    return Error{message};
  }
  report.tree_size = audited->checkpoint.size;
  report.previous_size = audited->previous_size;

  // Into place: every tile, then the checkpoint the audit opened (a reader who sees it finds
  // every tile it names).
  std::vector<std::string> staged;
  for (auto it = fs::recursive_directory_iterator(staging, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), staging, ec).string();
    if (rel != audit::kCheckpointPath) staged.push_back(std::move(rel));
  }
  if (ec) {
    cleanup();
    return Error{fmt::format("{}: {}", staging, ec.message())};
  }
  for (const std::string& rel : staged) {
    const fs::path target = fs::path(out) / rel;
    fs::create_directories(target.parent_path(), ec);
    if (!ec) fs::rename(fs::path(staging) / rel, target, ec);
    if (ec) {
      cleanup();
      return Error{fmt::format("{}: {}", target.string(), ec.message())};
    }
    report.written++;
  }
  if (Status s = WriteWhole(checkpoint_path, audited->signed_checkpoint); !s) {
    cleanup();
    return Error{s.message()};
  }
  report.written++;
  cleanup();

  // The partial tiles that neither the new checkpoint nor the previous one names.
  std::set<std::string> keep;
  PartialPaths(report.tree_size, &keep);
  if (report.previous_size) PartialPaths(*report.previous_size, &keep);
  const fs::path tiles = fs::path(out) / "log" / "tile";
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(tiles, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), out, ec).string();
    if (rel.find(".p/") != std::string::npos && !keep.contains(rel)) stale.push_back(it->path());
  }
  for (const fs::path& p : stale) {
    if (fs::remove(p, ec)) report.deleted++;
    fs::remove(p.parent_path(), ec);  // "<N>.p/" once empty; kept (an error) when not
  }
  return report;
}

}  // namespace tuidang::exporter
