// tuidang backup / tuidang restore: the data folder as one file encrypted to the office key
// (docs/backup.md). The backup is taken while the server runs, from one read transaction of
// SQLite's online backup API (or, on PostgreSQL, pg_dump's one snapshot), so it is a state
// the database really was in.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "cli/backup_postgres.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/data_dir.h"
#include "cli/office_key.h"
#include "core/random.h"
#include "core/text.h"
#include "safety/seal.h"
#include "safety/sealed_stream.h"
#include "store/open_store.h"

namespace tuidang::cli {
namespace {

namespace fs = std::filesystem;

// What a backup holds, in this order: every file a restored center needs to go on serving
// and signing the same log. The database's -wal and -shm files are not among them: the
// snapshot is a database of its own. A center on PostgreSQL has no tuidang.db: its backup
// holds pg_dump's file instead and the name of the schema dumped (backup_postgres.h).
constexpr const char* kBackedUp[] = {"tuidang.toml", "log.key", "tuidang.db", "tuidang.pgdump",
                                     "tuidang.pgschema"};
constexpr std::string_view kPgDump = "tuidang.pgdump";
constexpr std::string_view kPgSchema = "tuidang.pgschema";

// The archive inside the sealed stream: per file "F", the name's length (1 byte), the name,
// the size (8 bytes, big-endian) and the bytes; then "E" and the number of files (1 byte).
// A name no other file in the folder has: hex of random bytes.
std::string RandomHex(size_t bytes) { return HexEncode(RandomBytes(bytes)); }

void AppendSize(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

Status Fsync(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Fail("cannot open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Fail("cannot sync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

// A consistent copy of the live database `from` at `to`, in one step of the online backup
// API: one read transaction, which in WAL mode lets the server's writer go on meanwhile.
Status SnapshotDatabase(const std::string& from, const std::string& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto close = [&] {
    sqlite3_close(src);
    sqlite3_close(dst);
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
          SQLITE_OK) {
    std::string m =
        std::string("cannot open the database: ") + (src ? sqlite3_errmsg(src) : "out of memory");
    close();
    return Status::Fail(m);
  }
  sqlite3_busy_timeout(src, 10000);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) {
    std::string m = std::string("cannot back up the database: ") + sqlite3_errmsg(dst);
    close();
    return Status::Fail(m);
  }
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    std::string m = std::string("cannot back up the database: ") + sqlite3_errstr(rc);
    close();
    return Status::Fail(m);
  }
  close();
  return Status::Ok();
}

// One file of the archive from bytes in memory.
Status AppendBytes(safety::SealedWriter& w, std::string_view name, std::string_view bytes) {
  std::string head = "F";
  head.push_back(static_cast<char>(name.size()));
  head += name;
  AppendSize(&head, bytes.size(), 8);
  head += bytes;
  return w.Write(head);
}

Status AppendFile(safety::SealedWriter& w, const std::string& name, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Fail("cannot read " + path);
  std::error_code ec;
  uint64_t size = fs::file_size(path, ec);
  if (ec) return Status::Fail("cannot read " + path + ": " + ec.message());
  std::string head = "F";
  head.push_back(static_cast<char>(name.size()));
  head += name;
  AppendSize(&head, size, 8);
  if (Status s = w.Write(head); !s) return s;
  std::string buf(safety::kSealedChunkBytes, '\0');
  uint64_t left = size;
  while (left > 0) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(left, buf.size())));
    auto n = static_cast<uint64_t>(in.gcount());
    if (n == 0) return Status::Fail(path + " changed while it was being read");
    if (Status s = w.Write(std::string_view(buf.data(), n)); !s) return s;
    left -= n;
  }
  return Status::Ok();
}

// Deletes the snapshots ".backup-<pid>.db" (".pgdump" on PostgreSQL) in `data` whose
// process no longer runs.
void RemoveStaleSnapshots(const std::string& data) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(".backup-", 0) != 0) continue;
    size_t dot = name.rfind('.');
    std::string suffix = name.substr(dot);
    if (dot <= 8 || (suffix != ".db" && suffix != ".pgdump")) continue;
    std::string digits = name.substr(8, dot - 8);
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // still running
    std::error_code rm;
    fs::remove(entry.path(), rm);
  }
}

int RunBackup(const std::string& data, const std::string& out) {
  ::umask(077);
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return 1;
  }
  DataDir dir{data};
  if (!fs::is_regular_file(dir.ConfigPath())) {
    spdlog::error("{} holds no tuidang.toml: not a data folder", data);
    return 66;  // EX_NOINPUT
  }
  auto config = LoadConfig(dir.ConfigPath());
  if (!config) {
    spdlog::error("{}", config.error());
    return 78;
  }
  const StoreLocation location = dir.Location(*config);
  const bool postgres = UsesPostgres(location);
  if (!postgres && !fs::is_regular_file(dir.DatabasePath())) {
    spdlog::error("{} holds no tuidang.db: not a data folder", data);
    return 66;
  }
  if (config->office_public_key.empty()) {
    spdlog::error(
        "tuidang.toml has no office_public_key: a backup is encrypted to it "
        "(make the pair with `tuidang keys office --out FILE`, docs/backup.md)");
    return 78;
  }
  auto key = safety::ParseOfficePublicKey(config->office_public_key);
  if (!key) {
    spdlog::error("office_public_key in tuidang.toml: {}", key.error());
    return 78;
  }
  if (fs::exists(out)) {
    spdlog::error("{} exists already: a backup never overwrites a file", out);
    return 73;  // EX_CANTCREAT
  }
  // The snapshot (plaintext, like the database itself) lives in the data folder, owner-only,
  // and only until it is encrypted; the output is written under a name that says it is not
  // complete, and renamed once all of it is on disk.
  // Named after this process, so that a snapshot left by a backup that was killed (its
  // process gone) is recognised and deleted here, and one of a backup still running is not.
  RemoveStaleSnapshots(data);
  std::string snapshot =
      data + "/.backup-" + std::to_string(::getpid()) + (postgres ? ".pgdump" : ".db");
  std::string partial = out + ".partial";
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove(snapshot, ec);
    fs::remove(partial, ec);
  };
  std::string schema;  // PostgreSQL: the schema dumped
  if (postgres) {
    auto current = pgbackup::CurrentSchema(location.database);
    Status dumped = current ? pgbackup::Dump(location.database, *current, snapshot)
                            : Status::Fail(current.error());
    if (!dumped) {
      spdlog::error("cannot dump the PostgreSQL database ({}): {}", DescribeStore(location),
                    dumped.message());
      cleanup();
      return 1;
    }
    schema = *current;
  } else if (Status s = SnapshotDatabase(dir.DatabasePath(), snapshot); !s) {
    spdlog::error("{}", s.message());
    cleanup();
    return 1;
  }
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    spdlog::error("cannot create {}: {}", partial, std::strerror(errno));
    cleanup();
    return 73;
  }
  Status s = [&]() -> Status {
    auto w = safety::SealedWriter::Start(*key, fd);
    if (!w) return Status::Fail(w.error());
    int files = 0;
    for (const char* name : kBackedUp) {
      if (name == kPgSchema) {
        if (!postgres) continue;
        if (Status a = AppendBytes(*w, name, schema); !a) return a;
        ++files;
        continue;
      }
      const bool database = name == std::string_view(postgres ? kPgDump : "tuidang.db");
      if (!database && (name == kPgDump || std::string_view(name) == "tuidang.db")) continue;
      std::string path = database ? snapshot : data + "/" + name;
      if (!fs::exists(path)) continue;  // log.key: made at the first start of serve
      if (Status a = AppendFile(*w, name, path); !a) return a;
      ++files;
    }
    std::string end = "E";
    end.push_back(static_cast<char>(files));
    if (Status a = w->Write(end); !a) return a;
    if (Status a = w->Finish(); !a) return a;
    if (::fsync(fd) != 0) return Status::Fail(std::string("cannot sync: ") + std::strerror(errno));
    return Status::Ok();
  }();
  ::close(fd);
  if (s) {
    std::error_code ec;
    fs::rename(partial, out, ec);
    if (ec) s = Status::Fail("cannot rename " + partial + ": " + ec.message());
  }
  if (s) {
    std::string parent = fs::absolute(out).parent_path().string();
    s = Fsync(parent, true);
  }
  if (!s) {
    spdlog::error("backup failed: {}", s.message());
    cleanup();
    return 1;
  }
  std::error_code ec;
  fs::remove(snapshot, ec);
  fmt::print("backup written to {} ({} bytes), encrypted to the office key\n", out,
             fs::file_size(out, ec));
  return 0;
}

// Reads a backup's archive from its sealed stream, one chunk at a time.
class ArchiveReader {
 public:
  explicit ArchiveReader(safety::SealedReader& r) : r_(r) {}
  // Exactly n bytes into *out (appended), or an error when the archive ends first.
  Status Read(size_t n, std::string* out) {
    while (n > 0) {
      if (pos_ == chunk_.size()) {
        auto next = r_.Next();
        if (!next) return Status::Fail(next.error());
        if (!next->has_value()) return Status::Fail("the archive inside it ends too early");
        chunk_ = std::move(**next);
        pos_ = 0;
        continue;
      }
      size_t take = std::min(n, chunk_.size() - pos_);
      out->append(chunk_, pos_, take);
      pos_ += take;
      n -= take;
    }
    return Status::Ok();
  }
  // After the end record: the stream must end here, with its FINAL chunk.
  Status ExpectEnd() {
    if (pos_ != chunk_.size()) return Status::Fail("bytes follow the archive's end");
    auto next = r_.Next();
    if (!next) return Status::Fail(next.error());
    while (next->has_value()) {
      if (!(*next)->empty()) return Status::Fail("bytes follow the archive's end");
      next = r_.Next();
      if (!next) return Status::Fail(next.error());
    }
    return Status::Ok();
  }

 private:
  safety::SealedReader& r_;
  std::string chunk_;
  size_t pos_ = 0;
};

uint64_t ReadSize(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// Unpacks the archive into `dir` (which exists, empty); an error names what is wrong.
Status Unpack(safety::SealedReader& r, const std::string& dir) {
  ArchiveReader a(r);
  std::set<std::string> seen;
  while (true) {
    std::string kind;
    if (Status s = a.Read(1, &kind); !s) return s;
    if (kind == "E") {
      std::string count;
      if (Status s = a.Read(1, &count); !s) return s;
      if (static_cast<size_t>(static_cast<unsigned char>(count[0])) != seen.size()) {
        return Status::Fail("the archive's file count does not match");
      }
      break;
    }
    if (kind != "F") return Status::Fail("the archive inside it is damaged");
    std::string len, name, size;
    if (Status s = a.Read(1, &len); !s) return s;
    if (Status s = a.Read(static_cast<unsigned char>(len[0]), &name); !s) return s;
    bool known = false;
    for (const char* k : kBackedUp) known = known || name == k;
    if (!known || seen.count(name)) {
      return Status::Fail("the archive holds an unexpected file '" + name + "'");
    }
    seen.insert(name);
    if (Status s = a.Read(8, &size); !s) return s;
    uint64_t left = ReadSize(size);
    std::string path = dir + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Fail("cannot create " + path + ": " + std::strerror(errno));
    Status s;
    std::string buf;
    while (s && left > 0) {
      buf.clear();
      size_t take = static_cast<size_t>(std::min<uint64_t>(left, safety::kSealedChunkBytes));
      s = a.Read(take, &buf);
      if (s && ::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) {
        s = Status::Fail("cannot write " + path + ": " + std::strerror(errno));
      }
      left -= take;
    }
    if (s && ::fsync(fd) != 0) s = Status::Fail("cannot sync " + path);
    ::close(fd);
    if (!s) return s;
  }
  const bool pg = seen.count(std::string(kPgDump)) && seen.count(std::string(kPgSchema));
  if ((!seen.count("tuidang.db") && !pg) || !seen.count("tuidang.toml")) {
    return Status::Fail("the archive lacks the database or the configuration");
  }
  return a.ExpectEnd();
}

Status CheckDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status::Fail("the restored database does not open");
  }
  sqlite3_stmt* st = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (result != "ok") return Status::Fail("the restored database fails its integrity check");
  return Status::Ok();
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A PostgreSQL backup unpacked in `staging`: with `database`, its dump restored there (one
// transaction) and the configuration set to it, the dump deleted; without, left beside the
// configuration for the administrator's pg_restore.
Status RestorePostgres(const std::string& staging, const std::string& database) {
  if (database.empty()) return Status::Ok();
  const std::string dump = staging + "/" + std::string(kPgDump);
  const std::string schema_file = staging + "/" + std::string(kPgSchema);
  const std::string schema = ReadWhole(schema_file);
  if (schema.empty()) return Status::Fail("the archive names no schema");
  if (Status s = CheckDatabaseSetting(database); !s)
    return Status::Fail("--database: " + s.message());
  if (Status s = pgbackup::Restore(dump, schema, database); !s) return s;
  const std::string config = staging + "/tuidang.toml";
  std::string toml = pgbackup::WithDatabase(ReadWhole(config), database);
  std::string tmp = config + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << toml;
    out.flush();
    if (!out) return Status::Fail("cannot write " + tmp);
  }
  if (Status s = Fsync(tmp, false); !s) return s;
  std::error_code ec;
  fs::rename(tmp, config, ec);
  if (ec) return Status::Fail("cannot rename " + tmp + ": " + ec.message());
  fs::remove(dump, ec);
  fs::remove(schema_file, ec);
  return Status::Ok();
}

int RunRestore(const std::string& file, const std::string& key_path, const std::string& data,
               const std::string& database) {
  ::umask(077);
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return 1;
  }
  std::error_code ec;
  if (fs::exists(data) && !(fs::is_directory(data) && fs::is_empty(data, ec))) {
    spdlog::error("{} exists and is not an empty folder: restore into a new one", data);
    return 73;
  }
  bool unreadable = false;
  auto key = ReadOfficeSecretKey(key_path, &unreadable);
  if (!key) {
    spdlog::error("{}", key.error());
    return unreadable ? 66 : 65;
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    spdlog::error("cannot open {}: {}", file, std::strerror(errno));
    return 66;
  }
  // Unpacked beside the target under another name, and renamed only once all of it is
  // there and checked: a refused backup leaves nothing behind.
  std::string target = fs::absolute(data).lexically_normal().string();
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::string staging = target + ".restoring-" + RandomHex(6);
  bool postgres = false;
  Status s = [&]() -> Status {
    auto r = safety::SealedReader::Start(*key, fd);
    if (!r) return Status::Fail(r.error());
    std::error_code e;
    fs::create_directories(fs::path(staging).parent_path(), e);
    if (::mkdir(staging.c_str(), 0700) != 0) {
      return Status::Fail("cannot create " + staging + ": " + std::strerror(errno));
    }
    if (Status u = Unpack(*r, staging); !u) return u;
    postgres = !fs::exists(staging + "/tuidang.db");
    if (!postgres && !database.empty()) {
      return Status::Fail(
          "--database is for a backup of a center on PostgreSQL; this one holds its SQLite "
          "database, restored into the data folder");
    }
    if (postgres) {
      if (Status p = RestorePostgres(staging, database); !p) return p;
    } else if (Status c = CheckDatabase(staging + "/tuidang.db"); !c) {
      return c;
    }
    if (Status c = Fsync(staging, true); !c) return c;
    if (fs::exists(target)) fs::remove(target, e);  // the empty folder
    fs::rename(staging, target, e);
    if (e) return Status::Fail("cannot rename " + staging + ": " + e.message());
    return Fsync(fs::path(target).parent_path().string(), true);
  }();
  ::close(fd);
  if (!s) {
    fs::remove_all(staging, ec);
    spdlog::error("{} is refused: {}; nothing was written", file, s.message());
    return 65;  // EX_DATAERR
  }
  if (postgres && database.empty()) {
    fmt::print(
        "restored into {}; the PostgreSQL database is in {}/{}: restore it into an empty "
        "database with `pg_restore --single-transaction --no-owner -d URL {}/{}`, set "
        "database = \"URL\" in {}/tuidang.toml, and delete the dump (or run this restore "
        "again with --database URL, which does all three)\n",
        target, target, kPgDump, target, kPgDump, target);
    return 0;
  }
  fmt::print("restored into {}: start it with `tuidang serve --data {}`\n", target, target);
  return 0;
}

}  // namespace

Subcommand AddBackup(CLI::App& app) {
  struct Flags {
    std::string data = "./data";
    std::string out;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "backup",
      "Write the data folder (database, configuration, the log's signing key) as one file "
      "encrypted to the office public key, while the server runs: a consistent snapshot. "
      "Only the office secret key opens it (tuidang restore). See docs/backup.md.");
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  cmd->add_option("--out", flags->out, "The backup file to write (never overwritten)")->required();
  return {cmd, [flags] { return RunBackup(flags->data, flags->out); }};
}

Subcommand AddRestore(CLI::App& app) {
  struct Flags {
    std::string file, key, data, database;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "restore",
      "Restore a backup made by `tuidang backup` into a new data folder, with the office "
      "secret key. A damaged, cut or changed backup is refused and nothing is written. See "
      "docs/backup.md.");
  cmd->add_option("file", flags->file, "The backup file")->required();
  cmd->add_option("--key", flags->key, "The office secret key file")->required();
  cmd->add_option("--data", flags->data, "The new data folder (must not exist, or be empty)")
      ->required();
  cmd->add_option("--database", flags->database,
                  "For a backup of a center on PostgreSQL: the empty database to restore it "
                  "into (a libpq conninfo or URI), set in the restored tuidang.toml");
  return {cmd,
          [flags] { return RunRestore(flags->file, flags->key, flags->data, flags->database); }};
}

}  // namespace tuidang::cli
