// tuidang import: sign-up sheets and volunteers' spreadsheets (docs/import.md).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/exit_codes.h"
#include "core/text.h"
#include "intake/csv_import.h"

namespace tuidang::cli {

namespace {

struct ImportFlags {
  std::string file;
  std::string channel;
  std::string operator_name;
  std::string encoding;
  std::string data = "./data";
  bool dry_run = false;
  bool partial = false;
  bool hold = false;
  bool historic = false;
  std::string source;
};

// A bar on stderr, redrawn at most every percent; nothing when stderr is not a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Update(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    int percent = static_cast<int>(done * 100 / total);
    if (percent == last_ && done != total) return;
    last_ = percent;
    constexpr int kWidth = 40;
    int filled = percent * kWidth / 100;
    fmt::print(stderr, "\r[{}{}] {:3}%  {}/{} rows", std::string(filled, '#'),
               std::string(kWidth - filled, ' '), percent, done, total);
    if (done == total) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  int last_ = -1;
};

int Import(const ImportFlags& flags) {
  ::umask(077);
  if (sodium_init() < 0) {
    spdlog::error("libsodium failed to initialise");
    return kExSoftware;
  }
  auto channel = ParseChannel(flags.channel);
  if (!channel || (*channel != Channel::kPhone && *channel != Channel::kLetter &&
                   *channel != Channel::kSheet)) {
    spdlog::error("--channel must be phone, letter or sheet");
    return kExUsage;
  }
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) {
    spdlog::error("cannot read {}", flags.file);
    return kExNoInput;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = std::move(buffer).str();

  DataDir dir{flags.data};
  auto config = PrepareDataDir(dir);
  if (!config) {
    spdlog::error("{}", config.error());
    return kExConfig;
  }
  auto store = OpenStore(dir.Location(*config));
  if (!store) {
    spdlog::error("{}", store.error());
    return kExTempFail;
  }
  auto op = (*store)->FindOperator(flags.operator_name);
  if (!op) {
    spdlog::error("{}", op.error());
    return kExTempFail;
  }
  if (!op->has_value() || (*op)->disabled) {
    spdlog::error("no active operator named '{}' (tuidang user add)", flags.operator_name);
    return kExNoUser;
  }
  // Publishing on a day of the past is the archive's migration, not a volunteer's sheet.
  if (flags.historic && (*op)->role != Role::kAdmin) {
    spdlog::error("--historic: '{}' is a {}; only an admin may import historic records",
                  flags.operator_name, RoleCode((*op)->role));
    return kExNoPerm;
  }

  intake::ImportOptions options;
  options.channel = *channel;
  options.operator_id = (*op)->id;
  std::string name = flags.file;
  if (auto slash = name.rfind('/'); slash != std::string::npos) name.erase(0, slash + 1);
  options.file_name = name;
  options.encoding = flags.encoding;
  options.dry_run = flags.dry_run;
  options.partial = flags.partial;
  options.historic = flags.historic;
  options.source = flags.source;
  // [policy] import = "hold" (or operator_policy = "hold") holds every imported statement.
  bool hold = flags.hold || !config->PublishAtOnce("import");
  options.publish = !hold;
  auto bar = std::make_shared<ProgressBar>(::isatty(STDERR_FILENO) == 1);
  options.progress = [bar](size_t done, size_t total) { bar->Update(done, total); };

  // The sheet goes through the intake's writer of this process (SQLite serialises it with a
  // running server's); the queue holds the one group.
  Sequencer sequencer(store->get(), /*queue_limit=*/1, /*max_batch=*/1);
  intake::Intake entry(&sequencer, /*guard=*/nullptr, /*office=*/nullptr);
  auto report = intake::ImportCsv(bytes, options, &entry);
  if (!report) {
    spdlog::error("{}: {}", flags.file, report.error());
    bool busy = report.error().find("locked") != std::string::npos ||
                report.error().find("busy") != std::string::npos;
    return busy ? kExTempFail : kExDataErr;
  }
  const intake::ImportReport& r = *report;
  fmt::print("{}: {}, {} rows, {} valid statements ({} persons), {} rows rejected\n", name,
             r.encoding, r.rows, r.statements, r.persons, r.rejected.size());
  for (const auto& column : r.ignored_columns) {
    fmt::print("column ignored: \"{}\"\n", column);
  }
  for (const auto& x : r.rejected) fmt::print("rejected {}\n", x.Describe());
  if (flags.dry_run) {
    fmt::print("dry run: nothing stored\n");
    return r.rejected.empty() ? 0 : kExDataErr;
  }
  if (!r.stored) {
    if (!r.rejected.empty()) {
      fmt::print(
          "nothing imported: {} rows rejected (fix them, or --partial imports the "
          "valid rows only)\n",
          r.rejected.size());
      return kExDataErr;
    }
    fmt::print("nothing to import\n");
    return 0;
  }
  std::string numbers = r.first_number
                            ? fmt::format(", numbers {} to {}", r.first_number, r.last_number)
                            : std::string();
  fmt::print("imported {} statements ({} persons){}{}; {} already imported before\n", r.imported,
             r.imported_persons, numbers, hold ? ", held for moderation" : "", r.duplicates);
  // Every skipped row with the row it matched: the operator can tell a sheet imported
  // twice from two sources that were wrongly given one name.
  for (size_t i = 0; i < r.duplicate_lines.size(); ++i) {
    const std::string& of = i < r.duplicate_of.size() ? r.duplicate_of[i] : std::string();
    fmt::print("already imported: line {} is {}\n", r.duplicate_lines[i],
               of.empty() ? "an earlier statement" : of);
  }
  return 0;
}

}  // namespace

Subcommand AddImport(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import a sign-up sheet (CSV: UTF-8 with or without BOM, GB18030/GBK, Big5) as "
      "statements entered by an operator. A header row names the columns (姓名/name, "
      "化名或真名/real_name, 组织/organisations, 地区/region, 职业/occupation, 内容/text, "
      "组/group, 编号/id, 日期/date with --historic). All or nothing unless --partial; importing "
      "a sheet twice adds nothing. Works while the server runs. See docs/import.md.");
  cmd->add_option("file", flags->file, "The CSV file")->required();
  cmd->add_option("--channel", flags->channel, "How the statements came: phone, letter or sheet")
      ->required();
  cmd->add_option("--operator", flags->operator_name,
                  "The operator who vouches for the sheet (tuidang user add)")
      ->required();
  cmd->add_option("--encoding", flags->encoding,
                  "utf-8, gb18030 (gbk, gb2312), big5 or utf-16 (default: detected)");
  cmd->add_flag("--dry-run", flags->dry_run, "Check and report; store nothing");
  cmd->add_flag("--partial", flags->partial, "Import the valid rows even when others are rejected");
  cmd->add_flag("--hold", flags->hold, "Hold the statements for moderation instead of publishing");
  cmd->add_flag("--historic", flags->historic,
                "Historic records (admins only): the date column (日期/date) is each statement's "
                "publication day, on or before today; published at once on that day");
  cmd->add_option("--source", flags->source,
                  "The source the rows come from (default: the file's name): rows are told "
                  "apart by source and row (id column, or content and place), so the same "
                  "sheet imported again adds nothing and another source's rows are new");
  cmd->add_option("--data", flags->data, "Data folder")->capture_default_str();
  return {cmd, [flags] { return Import(*flags); }};
}

}  // namespace tuidang::cli
