// Benchmark of `tuidang import` (issue 4: at least 50,000 rows/s): a generated sign-up sheet
// of realistic rows (Chinese names, one to three organisations, region, occupation, a short
// text, one row in ten a family of three), imported through ImportCsv into a fresh SQLite
// store, as the command does: decoding, parsing, validation, one durable transaction.
// Reports rows/s for a dry run (no store), the import, and a second import of the same
// file (every row already stored), in UTF-8 and in GB18030.
//
// usage: build/bench/import_bench [rows]   (default 200000)
#include <iconv.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "intake/csv_import.h"
#include "store/sqlite/sqlite_store.h"

using namespace tuidang;
using Clock = std::chrono::steady_clock;

namespace {

// CPU seconds (user + system) of every thread so far: the machine may be shared.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::string Sheet(size_t rows) {
  const char* surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                            "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
  const char* given[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊",   "军",
                         "洋", "勇", "艳", "杰",   "娟", "涛", "明", "超", "秀兰", "霞"};
  const char* orgs[] = {"党", "团", "队", "党、团", "团、队", "党团队"};
  const char* regions[] = {"北京", "广东省", "四川", "上海市", "河南", "江苏", "海外"};
  const char* jobs[] = {"教师", "学生", "工人", "农民", "退休", "其他", ""};
  std::mt19937 rng(42);
  std::string out = "组,姓名,化名或真名,组织,地区,职业,内容\n";
  size_t family = 0;
  for (size_t i = 0; i < rows; ++i) {
    std::string group;
    if (family > 0) {
      group = fmt::format("f{}", i - (3 - family));
      --family;
    } else if (rng() % 10 == 0 && i + 3 <= rows) {
      family = 2;
      group = fmt::format("f{}", i);
    }
    // Distinct rows, as on a real sheet (the number makes each name unique).
    out += fmt::format("{},{}{}{},{},{},{},{},我自愿退出{}\n", group, surnames[rng() % 20],
                       given[rng() % 20], i, rng() % 3 ? "化名" : "真名", orgs[rng() % 6],
                       regions[rng() % 7], jobs[rng() % 7], rng() % 2 ? "中共" : "共青团");
  }
  return out;
}

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size(), out_left = out.size();
  char* o = out.data();
  iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  out.resize(o - out.data());
  return out;
}

void Run(const std::string& label, const std::string& bytes, size_t rows) {
  auto dir =
      std::filesystem::temp_directory_path() / fmt::format("tuidang-import-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = SqliteStore::Open((dir / "bench.db").string());
  if (!store) {
    fmt::print(stderr, "{}\n", store.error());
    std::exit(1);
  }
  Operator op;
  op.name = "bench";
  int64_t id = *(*store)->AddOperator(op);
  intake::ImportOptions options;
  options.operator_id = id;
  options.file_name = "bench.csv";

  Sequencer sequencer(store->get(), /*queue_limit=*/1, /*max_batch=*/1);
  intake::Intake in(&sequencer, /*guard=*/nullptr, /*office=*/nullptr);
  auto run = [&](const char* what, bool dry) {
    options.dry_run = dry;
    auto start = Clock::now();
    double cpu = CpuSeconds();
    auto report = intake::ImportCsv(bytes, options, &in);
    double s = Seconds(start);
    cpu = CpuSeconds() - cpu;
    if (!report || !report->rejected.empty()) {
      fmt::print(stderr, "import failed: {}\n",
                 report ? report->rejected[0].Describe() : report.error());
      std::exit(1);
    }
    fmt::print(
        "{:8} {:28} {:>7} rows {:>6.2f} s {:>7.0f} rows/s | cpu {:>6.2f} s "
        "({} statements, {} persons, {} new, {} already stored)\n",
        label, what, rows, s, rows / s, cpu, report->statements, report->persons, report->imported,
        report->duplicates);
  };
  run("dry run (parse, validate)", true);
  run("import (one transaction)", false);
  run("second import (all stored)", false);
  store->reset();
  fmt::print("{:8} database: {:.1f} MiB\n", label,
             std::filesystem::file_size(dir / "bench.db") / 1048576.0);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  size_t rows = argc > 1 ? std::stoul(argv[1]) : 200000;
  std::string sheet = Sheet(rows);
  fmt::print("import_bench: {} rows, {:.1f} MiB as UTF-8, {} hardware threads\n", rows,
             sheet.size() / 1048576.0, std::thread::hardware_concurrency());
  Run("UTF-8", sheet, rows);
  Run("GB18030", ToGb18030(sheet), rows);
  return 0;
}
