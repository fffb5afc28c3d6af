// The console's CSV upload (src/web/ops_upload.cc, OpsImport) and the report it renders from
// the import's structured reasons (intake::RejectedRow): the first byte picks the options a
// volunteer sets (encoding, dry run, partial, channel, the page's language), the rest is the
// uploaded file. Runs over a SQLite store in a temporary folder, so a real import stores too.
//
// Besides not crashing it checks what an operator relies on: the page is valid UTF-8; it
// lists exactly the rows the import rejected; every reason has the arguments its code
// names, and a quoted value is valid UTF-8 and at most kMaxEchoedChars long; the page's size
// grows with the rows it reports, never with the length of a cell.
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <sodium.h>

#include "core/text.h"
#include "intake/csv_import.h"
#include "store/sqlite/sqlite_store.h"
#include "web/i18n.h"
#include "web/ops_pages.h"

using namespace tuidang;

namespace {

struct World {
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Sequencer> sequencer;
  std::unique_ptr<intake::Intake> intake;
  std::unique_ptr<web::Catalog> catalog;
};

World* Make() {
  if (sodium_init() < 0) std::abort();
  auto* w = new World;
  std::string dir = "/tmp/tuidang-fuzz-import-" + std::to_string(getpid());
  std::string mk = "mkdir -p " + dir;
  if (std::system(mk.c_str()) != 0) std::abort();
  auto store = SqliteStore::Open(dir + "/fuzz.db");
  if (!store) std::abort();
  w->store = std::move(*store);
  w->sequencer = std::make_unique<Sequencer>(w->store.get(), 16, 100);
  w->intake = std::make_unique<intake::Intake>(w->sequencer.get(), nullptr, nullptr);
  const char* loc = std::getenv("TUIDANG_LOCALE_DIR");
  auto catalog = web::Catalog::Load(loc ? loc : web::Catalog::DefaultDir());
  if (!catalog) std::abort();
  w->catalog = std::make_unique<web::Catalog>(std::move(*catalog));
  return w;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The arguments each reason carries (csv_import.h).
size_t ArgsOf(intake::RejectReason r) {
  switch (r) {
    case intake::RejectReason::kUnknownValue:
    case intake::RejectReason::kTooManyPersons:
    case intake::RejectReason::kBadBytes:
    case intake::RejectReason::kGroupRejected: return 1;
    case intake::RejectReason::kTooManyCells: return 2;
    default: return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = Make();
  if (size == 0) return 0;
  static const char* const kEncodings[] = {"", "utf-8", "gb18030", "big5"};
  static const char* const kChannels[] = {"sheet", "phone", "letter", "sheet"};
  const uint8_t flags = data[0];
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string encoding = kEncodings[flags & 3];
  // Mostly dry runs (a volunteer's check before the real upload); one input in four stores.
  const bool dry_run = (flags & 0x0c) != 0x0c;
  const bool partial = flags & 0x10;
  const Language lang = (flags & 0x20)   ? Language::kEnglish
                        : (flags & 0x40) ? Language::kTraditional
                                         : Language::kSimplified;
  const std::string channel = kChannels[(flags >> 6) & 3];

  std::string query = "channel=" + channel + "&encoding=" + encoding;
  if (dry_run) query += "&dry_run=1";
  if (partial) query += "&partial=1";
  auto form = web::Form::Parse(query);
  if (!form) std::abort();
  web::Form no_query;
  std::vector<web::MultipartPart> files(1);
  files[0].name = "file";
  files[0].filename = "fuzz.csv";
  files[0].data = file;

  web::AppEnv env{w->store.get(), w->sequencer.get(), w->catalog.get(), web::AppOptions{}};
  env.intake = w->intake.get();
  env.operators = w->store.get();
  env.moderation = w->store.get();
  web::OpsSession session{1, "fuzz", Role::kVolunteer, "csrf", ""};
  std::string session_id = "fuzz-session";
  web::PageContext ctx{*w->catalog, lang, "/ops/import"};
  web::OpsRequest request{ctx, env, session, session_id, true, *form, no_query, files};
  web::Response res = web::OpsImport(request);

  const std::string& body = res.body();
  if (!IsValidUtf8(body)) std::abort();
  unsigned status = static_cast<unsigned>(res.result());
  if (status != 200 && status != 400 && status != 422) std::abort();

  // The same file as a dry run, for the report the page was rendered from (the rejected rows
  // of a dry run and of a real import are the same).
  intake::ImportOptions options;
  options.encoding = encoding;
  options.dry_run = true;
  options.partial = partial;
  options.channel = *ParseChannel(channel);
  auto report = intake::ImportCsv(file, options, nullptr);  // a dry run needs no intake
  if (!report) {
    if (body.find("id=\"import-report\"") != std::string::npos) std::abort();
    return 0;
  }
  int64_t last = 0;
  for (const auto& row : report->rejected) {
    if (row.line < last || row.line < 2) std::abort();  // in line order, below the header
    last = row.line;
    if (row.args.size() != ArgsOf(row.reason)) std::abort();
    for (const auto& a : row.args) {
      if (!IsValidUtf8(a) || CountCodePoints(a) > intake::kMaxEchoedChars + 1) std::abort();
    }
    if (row.Describe().empty()) std::abort();
  }
  if (file.empty()) return 0;  // "no file": no report
  if (Count(body, "<tr class=\"rejected-row\">") != report->rejected.size()) std::abort();
  // A rejected row or an ignored column costs the page a bounded number of bytes, whatever
  // the length of its cells (a quoted value is cut, then HTML-escaped: at most 6 bytes a
  // byte).
  const size_t per_row = 1024 + 6 * 4 * (intake::kMaxEchoedChars + 1);
  const size_t items = report->rejected.size() + report->ignored_columns.size();
  if (body.size() > 64 * 1024 + per_row * items) std::abort();
  return 0;
}
