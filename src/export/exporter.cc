#include "export/exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <openssl/sha.h>

#include "core/mutex.h"
#include "core/text.h"
#include "export/links.h"
#include "export/write_file.h"
#include "log/tile_reader.h"
#include "tlog/hash.h"
#include "tlog/tile.h"
#include "web/gzip.h"
#include "web/pages.h"
#include "web/static_files.h"

namespace tuidang::exporter {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTmpDir = ".export-tmp";
// Statements read from the store at a time while a day is exported.
constexpr int kReadBatch = 2000;

// OpenSSL's SHA-256 (SHA-NI where the CPU has it) rather than libsodium's portable one: the
// export hashes every byte it writes, gigabytes for a million statements.
std::string Sha256Hex(std::string_view data) {
  tlog::Hash h;
  ::SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return tlog::HashToHex(h);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The day a page of a day belongs to: "en/statements/2026-11-23-2.html" and
// "zh-hant/certificates/2026-11-23.html" belong to 2026-11-23; other files (and the statement
// pages "statements/2026-11-23/17.html" of layout 1) to none.
std::optional<Day> DayGroup(std::string_view path) {
  for (std::string_view prefix : {"zh-hant/", "en/"}) {
    if (path.starts_with(prefix)) path.remove_prefix(prefix.size());
  }
  for (std::string_view folder : {"statements/", "certificates/"}) {
    if (!path.starts_with(folder)) continue;
    path.remove_prefix(folder.size());
    if (path.ends_with(".gz")) path.remove_suffix(3);  // its precompressed copy (Writer::Put)
    if (path.size() < 15 || !path.ends_with(".html")) return std::nullopt;
    std::string_view rest = path.substr(10, path.size() - 15);
    if (!rest.empty()) {
      if (rest.size() < 2 || rest[0] != '-') return std::nullopt;
      for (char c : rest.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
      }
    }
    return ParseDay(path.substr(0, 10));
  }
  return std::nullopt;
}

// A manifest: path -> SHA-256 (hex), as read from manifest.txt ("<hex>  <path>" lines).
using Manifest = std::unordered_map<std::string, std::string>;

Manifest ParseManifest(std::string_view text) {
  Manifest m;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.size() > 66 && line[64] == ' ' && line[65] == ' ') {
      m.emplace(std::string(line.substr(66)), std::string(line.substr(0, 64)));
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return m;
}

// The exporter's state: day -> (statements, persons, rendered while open).
struct DayState {
  int64_t statements = 0, persons = 0;
  bool open = false;
};

// The layout the state describes: 2 since statements are anchors in the day lists. A state
// of another layout (or none) makes the export render every day again.
constexpr int kLayout = 2;

std::map<Day, DayState> ReadState(const std::string& path) {
  std::map<Day, DayState> out;
  std::ifstream in(path);
  std::string line;
  bool layout = false;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string word, date;
    DayState s;
    int open = 0;
    if (!(words >> word)) continue;
    if (word == "layout") {
      int v = 0;
      layout = (words >> v) && v == kLayout;
    } else if (word == "day" && (words >> date >> s.statements >> s.persons >> open)) {
      if (auto day = ParseDay(date)) out[*day] = DayState{s.statements, s.persons, open != 0};
    }
  }
  if (!layout) out.clear();
  return out;
}

// Writes files into the export: aside in kTmpDir, then renamed into place, and only when
// the bytes differ from the previous export's. Thread-safe.
class Writer {
 public:
  Writer(std::string root, const Manifest* previous)
      : root_(std::move(root)), previous_(previous) {}

  Status Init() {
    std::error_code ec;
    fs::remove_all(fs::path(root_) / kTmpDir, ec);
    fs::create_directories(fs::path(root_) / kTmpDir, ec);
    if (ec) return Status::Fail(fmt::format("{}: {}", root_, ec.message()));
    return Status::Ok();
  }

  // Adds `path` with `data` to the export and, for a page, style sheet, script or JSON
  // file, `path`.gz beside it (the same bytes gzipped, for nginx's gzip_static and other
  // servers that send a precompressed file as it is): compressed only when `path` changed.
  Status Put(const std::string& path, std::string_view data) {
    bool same = false;
    if (Status s = PutOne(path, data, &same); !s) return s;
    if (!IsPrecompressed(path)) return Status::Ok();
    std::string gz_path = path + ".gz";
    if (same && Carry(gz_path)) return Status::Ok();
    auto gz = web::Gzip(data);
    if (!gz) return Status::Fail(gz_path + ": gzip failed");
    bool gz_same = false;
    return PutOne(gz_path, *gz, &gz_same);
  }

  static bool IsPrecompressed(std::string_view path) {
    for (std::string_view ext : {".html", ".css", ".js", ".json"}) {
      if (path.ends_with(ext)) return true;
    }
    return false;
  }

  // Adds `path` with `data`; *same: the previous export has the same bytes there.
  Status PutOne(const std::string& path, std::string_view data, bool* same_out) {
    std::string hash = Sha256Hex(data);
    bool same = false;
    if (auto it = previous_->find(path); it != previous_->end() && it->second == hash) {
      struct stat st {};
      same = ::stat((root_ + "/" + path).c_str(), &st) == 0 &&
             static_cast<size_t>(st.st_size) == data.size();
    }
    *same_out = same;
    if (!same) {
      if (Status s = WriteAside(path, data); !s) return s;
      written_++;
    }
    Add(path, std::move(hash));
    return Status::Ok();
  }

  // Keeps `path` as the previous export wrote it. False when it had no such file.
  bool Carry(const std::string& path) {
    auto it = previous_->find(path);
    if (it == previous_->end()) return false;
    Add(path, it->second);
    return true;
  }

  // Lists `path` in the manifest without writing it (the caller writes it later).
  void List(const std::string& path, std::string hash) { Add(path, std::move(hash)); }

  // Writes a file that is not part of the manifest (the manifest itself, the state).
  Status PutUnlisted(const std::string& path, std::string_view data) {
    return WriteAside(path, data);
  }

  // The manifest's text, sorted by path.
  std::string ManifestText() {
    MutexLock lock(&mu_);
    std::sort(entries_.begin(), entries_.end());
    std::string out;
    out.reserve(entries_.size() * 100);
    for (const auto& [path, hash] : entries_) {
      out += hash;
      out += "  ";
      out += path;
      out += '\n';
    }
    return out;
  }
  std::unordered_set<std::string> Paths() {
    MutexLock lock(&mu_);
    std::unordered_set<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.insert(e.first);
    return out;
  }
  size_t files() {
    MutexLock lock(&mu_);
    return entries_.size();
  }
  size_t written() const { return written_; }
  void Finish() {
    std::error_code ec;
    fs::remove_all(fs::path(root_) / kTmpDir, ec);
  }

 private:
  void Add(const std::string& path, std::string hash) {
    MutexLock lock(&mu_);
    entries_.emplace_back(path, std::move(hash));
  }

  Status WriteAside(const std::string& path, std::string_view data) {
    std::string target = root_ + "/" + path;
    if (size_t slash = path.rfind('/'); slash != std::string::npos) {
      std::string dir = path.substr(0, slash);
      bool known;
      {
        MutexLock lock(&mu_);
        known = dirs_.contains(dir);
      }
      if (!known) {
        std::error_code ec;
        fs::create_directories(root_ + "/" + dir, ec);
        if (ec) return Status::Fail(fmt::format("{}/{}: {}", root_, dir, ec.message()));
        MutexLock lock(&mu_);
        dirs_.insert(dir);
      }
    }
    return WriteAndRename(fmt::format("{}/{}/{}", root_, kTmpDir, counter_++), target, data);
  }

  const std::string root_;
  const Manifest* previous_;
  Mutex mu_;
  std::vector<std::pair<std::string, std::string>> entries_ GUARDED_BY(mu_);
  std::unordered_set<std::string> dirs_ GUARDED_BY(mu_);
  std::atomic<uint64_t> counter_{0};
  std::atomic<size_t> written_{0};
};

std::string LangDir(Language l) {
  return l == Language::kSimplified ? std::string() : std::string(LanguageCode(l)) + "/";
}

// The mirror's submit page: a copy cannot receive statements, so it points to the live
// addresses (main site, onion service, other live mirrors).
std::string SubmitHtml(const web::PageContext& ctx, const ExportOptions& options) {
  std::string b = "<h1>" + ctx.TrHtml("export.submit.title") + "</h1><p>" +
                  ctx.TrHtml("export.submit.intro") + "</p><ul class=\"addresses\">";
  for (const std::string& url : options.submit_urls) {
    std::string target = url;
    while (!target.empty() && target.back() == '/') target.pop_back();
    target += std::string(LanguagePathPrefix(ctx.lang)) + "/submit";
    b += "<li><a href=\"" + HtmlEscape(target) + "\">" + HtmlEscape(target) + "</a></li>";
  }
  b += "</ul><p>" + ctx.TrHtml("export.submit.safety") + "</p><p><a href=\"" + ctx.Href("/mirror") +
       "\">" + ctx.TrHtml("export.mirror.title") + "</a></p>";
  return web::Layout(ctx, ctx.Tr("export.submit.title"), b);
}

std::string MirrorHtml(const web::PageContext& ctx, const ExportOptions& options) {
  std::string where = options.base_url.empty() ? "DIR" : options.base_url;
  std::string b = "<h1>" + ctx.TrHtml("export.mirror.title") + "</h1><p>" +
                  ctx.TrHtml("export.mirror.intro") + "</p><p><code id=\"vkey\">" +
                  HtmlEscape(options.verifier_key) +
                  "</code></p><pre>tuidang verify-mirror DIR --vkey " +
                  HtmlEscape(options.verifier_key) + "\ntuidang audit " + HtmlEscape(where) +
                  " --vkey " + HtmlEscape(options.verifier_key) + "</pre>";
  return web::Layout(ctx, ctx.Tr("export.mirror.title"), b);
}

class Exporter {
 public:
  Exporter(const ExportSource& source, const tlog::NoteSigner& signer, const ExportOptions& options)
      : source_(source), signer_(signer), options_(options) {}

  Result<ExportReport> Run();

 private:
  // Renders the page of site URL `url` (without language prefix: what its language links
  // name) in `lang` into `file`, every link relative to `file` through `map`.
  Status PutPage(const std::string& file, Language lang, std::string url, const SiteMap& map,
                 const std::function<std::string(const web::PageContext&)>& render) {
    ExportLinks links(file, map, live_base_);
    web::PageContext ctx{*source_.catalog, lang, std::move(url), &links};
    return writer_->Put(file, render(ctx));
  }
  Status ExportSitePages();
  std::string AuditUrl() const;
  Status ExportDay(Day day);
  Status ExportLog();

  const ExportSource& source_;
  const tlog::NoteSigner& signer_;
  const ExportOptions& options_;
  std::string live_base_;
  std::shared_ptr<const Totals> totals_;
  std::pair<uint64_t, std::string> checkpoint_;
  Manifest previous_;
  std::unique_ptr<Writer> writer_;
  SiteMap map_;
  ExportReport report_;
};

// The address log.html's audit command reads the log at: the live site (the first submit
// URL), else where the mirror is served, else the host of the log's origin over https.
std::string Exporter::AuditUrl() const {
  if (!options_.submit_urls.empty()) return options_.submit_urls.front();
  if (!options_.base_url.empty()) return options_.base_url;
  return "https://" + source_.log_origin.substr(0, source_.log_origin.find('/'));
}

Status Exporter::ExportSitePages() {
  if (Status s = writer_->Put("static/site.css", web::SiteCss()); !s) return s;
  if (Status s = writer_->Put("static/certificates.css", web::DayCertificatesCss()); !s) return s;
  // The icon pages link (static/) and the one browsers look for at the root.
  for (const char* icon : {"static/favicon.ico", "favicon.ico"}) {
    if (Status s = writer_->Put(icon, web::FaviconIco()); !s) return s;
  }
  // Every closed day's moderation counters (docs/moderation-stats.md), as the server's.
  auto moderation = web::ReadModerationFigures(source_.store, 0, map_.today);
  if (!moderation) return Status::Fail("moderation counters: " + moderation.error());
  if (Status s =
          writer_->Put("api/v1/stats.json", web::StatsJson(*totals_, map_.today, *moderation));
      !s) {
    return s;
  }
  if (Status s = writer_->Put("stats.csv", web::StatsCsvText(*totals_, *moderation)); !s) {
    return s;
  }
  for (Language lang : kLanguages) {
    std::string dir = LangDir(lang);
    auto home = [&](const web::PageContext& ctx) {
      return web::HomeHtml(ctx, *totals_, map_.today);
    };
    if (Status s = PutPage(dir + "index.html", lang, "/", map_, home); !s) return s;
    auto submit = [&](const web::PageContext& ctx) { return SubmitHtml(ctx, options_); };
    if (Status s = PutPage(dir + "submit.html", lang, "/submit", map_, submit); !s) return s;
    auto mirror = [&](const web::PageContext& ctx) { return MirrorHtml(ctx, options_); };
    if (Status s = PutPage(dir + "mirror.html", lang, "/mirror", map_, mirror); !s) return s;
    // The checkpoint this export holds, which its log/checkpoint file will be.
    auto log = [&](const web::PageContext& ctx) {
      return web::LogHtml(
          ctx,
          {source_.log_origin, options_.verifier_key, AuditUrl(), options_.software_url, {}, {}},
          checkpoint_.second);
    };
    if (Status s = PutPage(dir + "log.html", lang, "/log", map_, log); !s) return s;
    for (std::string_view range : {"30", "365", "all"}) {
      std::string url = range == "30" ? "/stats" : "/stats?range=" + std::string(range);
      std::string file =
          dir + (range == "30" ? "stats.html" : "stats-" + std::string(range) + ".html");
      auto stats = [&](const web::PageContext& ctx) {
        return *web::StatsHtml(ctx, *totals_, range, *moderation);
      };
      if (Status s = PutPage(file, lang, url, map_, stats); !s) return s;
    }
  }
  return Status::Ok();
}

// Runs fn(0) ... fn(n - 1) on `threads` threads; the first error stops the rest.
Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Mutex error_mu;
  Status error = Status::Ok();  // written under error_mu
  auto work = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < n;) {
      if (Status st = fn(i); !st) {
        MutexLock lock(&error_mu);
        if (!failed.exchange(true)) error = st;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads && static_cast<size_t>(t) < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return error;
}

Status Exporter::ExportDay(Day day) {
  std::vector<Statement> all;
  for (int64_t before = 0;;) {
    auto batch = source_.store->ListDay(day, before, 0, kReadBatch);
    if (!batch) return Status::Fail(batch.error());
    if (batch->empty()) break;
    before = *batch->back().number;
    for (auto& s : *batch) all.push_back(std::move(s));
    if (static_cast<int>(batch->size()) < kReadBatch) break;
  }
  // Each statement's leaf, for its certificate. A statement published after the checkpoint
  // this export holds (a server runs beside it) waits for the next export: its certificate
  // could not name a checkpoint that includes it.
  std::vector<std::optional<uint64_t>> leaf_of(all.size());
  const size_t kLeafChunk = 500;
  if (Status s =
          ParallelFor((all.size() + kLeafChunk - 1) / kLeafChunk, options_.threads,
                      [&](size_t chunk) -> Status {
                        size_t to = std::min(all.size(), (chunk + 1) * kLeafChunk);
                        for (size_t i = chunk * kLeafChunk; i < to; ++i) {
                          auto opening = source_.store->GetOpening(*all[i].number);
                          if (!opening) return Status::Fail(opening.error());
                          if (opening->has_value() && (*opening)->leaf_index < checkpoint_.first) {
                            leaf_of[i] = (*opening)->leaf_index;
                          }
                        }
                        return Status::Ok();
                      });
      !s) {
    return s;
  }
  std::vector<Statement> list;
  std::vector<uint64_t> leaves;
  list.reserve(all.size());
  leaves.reserve(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    if (!leaf_of[i]) continue;
    list.push_back(std::move(all[i]));
    leaves.push_back(*leaf_of[i]);
  }
  DayCount count{day, static_cast<int64_t>(list.size()), 0};
  std::unordered_map<int64_t, int64_t> page_of;  // number -> page of the day list
  page_of.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    count.persons += static_cast<int64_t>(list[i].persons.size());
    page_of.emplace(*list[i].number, static_cast<int64_t>(i / web::kDayListPageSize) + 1);
  }
  SiteMap map = map_;
  map.locate = [day, &page_of](int64_t n) -> std::optional<StatementPlace> {
    auto it = page_of.find(n);
    if (it == page_of.end()) return std::nullopt;
    return StatementPlace{day, it->second};
  };
  const std::string date = FormatDay(day);
  const int64_t pages = web::DayListPages(count);
  // One unit of work per page: its list in the three languages and its certificates in the
  // two scripts (English links to the Simplified Chinese ones: they are bilingual).
  return ParallelFor(static_cast<size_t>(pages), options_.threads, [&](size_t index) -> Status {
    const int64_t page = static_cast<int64_t>(index) + 1;
    size_t from = std::min(list.size(), index * web::kDayListPageSize);
    size_t to = std::min(list.size(), from + web::kDayListPageSize);
    std::vector<Statement> slice(list.begin() + static_cast<ptrdiff_t>(from),
                                 list.begin() + static_cast<ptrdiff_t>(to));
    std::vector<uint64_t> slice_leaves(leaves.begin() + static_cast<ptrdiff_t>(from),
                                       leaves.begin() + static_cast<ptrdiff_t>(to));
    std::string url =
        "/statements?date=" + date + (page > 1 ? "&page=" + std::to_string(page) : "");
    auto list_html = [&](const web::PageContext& ctx) {
      return web::DayListHtml(ctx, day, count, totals_->tree_size, page, pages, slice, true);
    };
    auto certificates_html = [&](const web::PageContext& ctx) {
      return web::DayCertificatesHtml(ctx, day, page, slice, slice_leaves, source_.log_origin,
                                      checkpoint_);
    };
    for (Language lang : kLanguages) {
      std::string file = DayListFile(LangDir(lang), day, page);
      if (Status s = PutPage(file, lang, url, map, list_html); !s) return s;
      if (lang == Language::kEnglish || slice.empty()) continue;
      if (Status s = PutPage(CertificatesFile(LangDir(lang), day, page), lang, url, map,
                             certificates_html);
          !s) {
        return s;
      }
    }
    return Status::Ok();
  });
}

Status Exporter::ExportLog() {
  const uint64_t size = checkpoint_.first;
  StoreTileReader tiles(source_.store);
  for (const tlog::TileId& tile : tlog::NewTiles(0, size)) {
    std::vector<tlog::TileId> ids{tile};
    if (tile.level == 0)
      ids.push_back(tlog::TileId{tlog::kEntryBundleLevel, tile.index, tile.width});
    for (const tlog::TileId& id : ids) {
      std::string path = "log/" + tlog::TilePath(id);
      // A full tile never changes: the previous export's copy stays as it is.
      if (id.is_full() && writer_->Carry(path)) continue;
      auto data = tiles.ReadTile(id);
      if (!data) return Status::Fail(fmt::format("{}: {}", path, data.error()));
      // A partial hash tile is the prefix of the stored one, as the server serves it.
      if (!id.is_entry_bundle()) data->resize(static_cast<size_t>(id.width) * 32);
      if (Status s = writer_->Put(path, *data); !s) return s;
    }
  }
  return Status::Ok();
}

Result<ExportReport> Exporter::Run() {
  std::error_code ec;
  fs::create_directories(options_.out, ec);
  if (ec) return Error{fmt::format("{}: {}", options_.out, ec.message())};
  if (!options_.submit_urls.empty()) {
    live_base_ = options_.submit_urls.front();
    while (!live_base_.empty() && live_base_.back() == '/') live_base_.pop_back();
  }
  totals_ = source_.store->GetTotals();
  auto latest = source_.store->LatestCheckpoint();
  if (!latest) return Error{latest.error()};
  if (!latest->has_value() || (*latest)->first < totals_->tree_size) {
    return Error{fmt::format("the log's checkpoint does not yet cover the {} leaves counted",
                             totals_->tree_size)};
  }
  checkpoint_ = **latest;
  report_.tree_size = checkpoint_.first;

  if (!options_.full) {
    if (auto text = ReadFile(options_.out + "/" + std::string(kManifestFile))) {
      previous_ = ParseManifest(*text);
    }
  }
  std::map<Day, DayState> state = options_.full
                                      ? std::map<Day, DayState>()
                                      : ReadState(options_.out + "/" + std::string(kStateFile));
  writer_ = std::make_unique<Writer>(options_.out, &previous_);
  if (Status s = writer_->Init(); !s) return Error{s.message()};

  const Day today = Today();
  map_.today = today;
  map_.last_day = std::max(today, totals_->by_day.empty() ? today : totals_->by_day.back().day);
  map_.first_day = totals_->by_day.empty() ? today : totals_->by_day.front().day;

  if (Status s = ExportSitePages(); !s) return Error{s.message()};

  // Days: rendered when new, changed (a withdrawal), or open when last rendered; carried
  // over from the previous manifest otherwise.
  std::map<Day, DayState> new_state;
  std::unordered_set<Day> rendered;
  for (Day day = map_.first_day; day <= map_.last_day; ++day) {
    DayCount c = totals_->Of(day);
    DayState now{c.statements, c.persons, day >= today};
    new_state[day] = now;
    auto it = state.find(day);
    bool same = it != state.end() && !it->second.open && it->second.statements == now.statements &&
                it->second.persons == now.persons;
    if (same) continue;
    if (Status s = ExportDay(day); !s) return Error{s.message()};
    rendered.insert(day);
  }
  report_.days_rendered = rendered.size();
  for (const auto& [path, hash] : previous_) {
    auto day = DayGroup(path);
    if (day && !rendered.contains(*day) && *day >= map_.first_day && *day <= map_.last_day) {
      writer_->Carry(path);
    }
  }

  if (Status s = ExportLog(); !s) return Error{s.message()};
  // The partial tiles of the previous checkpoint stay one more export: a reader who read
  // that checkpoint a moment before the new one replaces it still finds its tiles.
  if (auto previous_checkpoint = ReadFile(options_.out + "/log/checkpoint")) {
    std::istringstream lines(*previous_checkpoint);
    std::string origin_line;
    uint64_t previous_size = 0;
    if (std::getline(lines, origin_line) && (lines >> previous_size) &&
        previous_size <= checkpoint_.first) {
      for (const tlog::TileId& tile : tlog::NewTiles(0, previous_size)) {
        if (tile.is_full()) continue;
        writer_->Carry("log/" + tlog::TilePath(tile));
        if (tile.level == 0) {
          writer_->Carry("log/" + tlog::TilePath(tlog::TileId{tlog::kEntryBundleLevel, tile.index,
                                                              tile.width}));
        }
      }
    }
  }

  // The checkpoint is listed in the manifest but written last.
  const std::string checkpoint_path = "log/checkpoint";
  const std::string checkpoint_hash = Sha256Hex(checkpoint_.second);
  writer_->List(checkpoint_path, checkpoint_hash);
  std::unordered_set<std::string> paths = writer_->Paths();
  std::string manifest = writer_->ManifestText();
  report_.files = paths.size();
  auto note = tlog::SignNote(ManifestNoteText(manifest, checkpoint_.first, paths.size()), signer_);
  if (!note) return Error{note.error()};
  if (Status s = writer_->PutUnlisted(std::string(kManifestFile), manifest); !s)
    return Error{s.message()};
  if (Status s = writer_->PutUnlisted(std::string(kManifestNoteFile), *note); !s)
    return Error{s.message()};
  // The checkpoint last: a reader who sees it finds every tile it names.
  if (auto it = previous_.find(checkpoint_path);
      it == previous_.end() || it->second != checkpoint_hash) {
    if (Status s = writer_->PutUnlisted(checkpoint_path, checkpoint_.second); !s)
      return Error{s.message()};
  }

  // What the new export no longer holds: withdrawn statements, old partial tiles.
  std::set<std::string> emptied;
  for (const auto& [path, hash] : previous_) {
    if (paths.contains(path)) continue;
    if (fs::remove(fs::path(options_.out) / path, ec)) report_.deleted++;
    if (size_t slash = path.rfind('/'); slash != std::string::npos)
      emptied.insert(path.substr(0, slash));
  }
  // Folders left empty (the statement folders of layout 1): deepest first; rmdir fails on
  // the others, which is what we want.
  for (auto it = emptied.rbegin(); it != emptied.rend(); ++it) {
    ::rmdir((options_.out + "/" + *it).c_str());
  }
  std::string state_text = fmt::format("layout {}\n", kLayout);
  for (const auto& [day, s] : new_state) {
    state_text +=
        fmt::format("day {} {} {} {}\n", FormatDay(day), s.statements, s.persons, s.open ? 1 : 0);
  }
  if (Status s = writer_->PutUnlisted(std::string(kStateFile), state_text); !s)
    return Error{s.message()};
  writer_->Finish();
  report_.written = writer_->written();
  return report_;
}

}  // namespace

std::string ManifestNoteText(std::string_view manifest, uint64_t tree_size, size_t files) {
  return fmt::format("{}\ntree {}\nfiles {}\nsha256 {}\n", kManifestHeader, tree_size, files,
                     Sha256Hex(manifest));
}

Result<ExportReport> Export(const ExportSource& source, const tlog::NoteSigner& signer,
                            const ExportOptions& options) {
  Exporter exporter(source, signer, options);
  return exporter.Run();
}

Result<size_t> VerifyMirror(const std::string& dir, const tlog::NoteVerifier& verifier) {
  auto note_text = ReadFile(dir + "/" + std::string(kManifestNoteFile));
  if (!note_text) return Error{"no signed manifest: " + note_text.error()};
  auto note = tlog::OpenNote(*note_text, std::span(&verifier, 1));
  if (!note)
    return Error{fmt::format("{}/{}: not signed by {}: {}", dir, kManifestNoteFile, verifier.name(),
                             note.error())};
  std::istringstream lines(note->text);
  std::string header, tree_word, files_word, sha_word, sha;
  uint64_t tree = 0;
  size_t files = 0;
  std::getline(lines, header);
  lines >> tree_word >> tree >> files_word >> files >> sha_word >> sha;
  if (header != kManifestHeader || tree_word != "tree" || files_word != "files" ||
      sha_word != "sha256") {
    return Error{fmt::format("{}/{}: not a tuidang mirror manifest", dir, kManifestNoteFile)};
  }
  auto manifest_text = ReadFile(dir + "/" + std::string(kManifestFile));
  if (!manifest_text) return Error{manifest_text.error()};
  if (Sha256Hex(*manifest_text) != sha) {
    return Error{fmt::format("{}/{} does not match its signed hash", dir, kManifestFile)};
  }
  Manifest manifest = ParseManifest(*manifest_text);
  if (manifest.size() != files) {
    return Error{fmt::format("{}/{} lists {} files, its note says {}", dir, kManifestFile,
                             manifest.size(), files)};
  }
  std::vector<std::string> problems;
  size_t problem_count = 0;
  auto problem = [&](std::string p) {
    if (problems.size() < 20) problems.push_back(std::move(p));
    problem_count++;
  };
  std::vector<std::string> sorted;
  sorted.reserve(manifest.size());
  for (const auto& [path, hash] : manifest) sorted.push_back(path);
  std::sort(sorted.begin(), sorted.end());
  for (const std::string& path : sorted) {
    if (path.find("..") != std::string::npos || path.starts_with("/")) {
      problem("unsafe path in the manifest: " + path);
      continue;
    }
    auto data = ReadFile(dir + "/" + path);
    if (!data) problem("missing: " + path);
    else if (Sha256Hex(*data) != manifest[path]) problem("changed: " + path);
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (rel == kManifestFile || rel == kManifestNoteFile || rel == kStateFile ||
        rel.starts_with(std::string(kTmpDir) + "/")) {
      continue;
    }
    if (!manifest.contains(rel)) problem("not in the manifest: " + rel);
  }
  if (ec) return Error{fmt::format("{}: {}", dir, ec.message())};
  if (problem_count > 0) {
    std::string msg = fmt::format("{} problems in {}:", problem_count, dir);
    for (const auto& p : problems) msg += "\n  " + p;
    if (problem_count > problems.size()) msg += "\n  ...";
    return Error{msg};
  }
  return files;
}

}  // namespace tuidang::exporter
