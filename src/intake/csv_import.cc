#include "intake/csv_import.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <sodium.h>

#include "core/receipt.h"
#include "core/statement.h"
#include "core/text.h"
#include "intake/csv_reader.h"
#include "intake/import_source.h"

namespace tuidang::intake {

namespace {

// Fields a column can feed.
enum class Field {
  kName,
  kRealName,
  kOrganisations,
  kRegion,
  kOccupation,
  kText,
  kGroup,
  kConsent,
  kPlace,
  kDay,    // a historic record's publication day (ImportOptions::historic)
  kRowId,  // the row's id in its source (docs/import.md, "Importing twice adds nothing")
};
constexpr int kFieldCount = 11;

// Lets the caches below be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// A header cell or a category value reduced for lookup: NFC, Traditional folded to
// Simplified, case folded, without spaces, underscores, hyphens and full-width brackets'
// contents stay as they are.
std::string LookupKey(std::string_view raw) {
  if (!IsValidUtf8(raw)) return {};
  std::string folded = FoldName(TrimSpace(raw));
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (c == ' ' || c == '_' || c == '-' || c == '.') continue;
    out += c;
  }
  return out;
}

// Column names, Simplified or English, as LookupKey() leaves them. Traditional names
// (姓名, 組織, 地區, 職業, 內容) fold onto these.
const std::unordered_map<std::string, Field>& HeaderNames() {
  static const auto* names = new std::unordered_map<std::string, Field>{
      {"姓名", Field::kName},
      {"名字", Field::kName},
      {"化名", Field::kName},
      {"姓名或化名", Field::kName},
      {"姓名/化名", Field::kName},
      {"署名", Field::kName},
      {"name", Field::kName},
      {"pseudonym", Field::kName},
      {"化名或真名", Field::kRealName},
      {"真名或化名", Field::kRealName},
      {"真名", Field::kRealName},
      {"实名", Field::kRealName},
      {"是否真名", Field::kRealName},
      {"是否实名", Field::kRealName},
      {"realname", Field::kRealName},
      {"组织", Field::kOrganisations},
      {"退出组织", Field::kOrganisations},
      {"退出", Field::kOrganisations},
      {"三退", Field::kOrganisations},
      {"organisations", Field::kOrganisations},
      {"organizations", Field::kOrganisations},
      {"organisation", Field::kOrganisations},
      {"organization", Field::kOrganisations},
      {"orgs", Field::kOrganisations},
      {"地区", Field::kRegion},
      {"省份", Field::kRegion},
      {"地域", Field::kRegion},
      {"region", Field::kRegion},
      {"province", Field::kRegion},
      {"职业", Field::kOccupation},
      {"occupation", Field::kOccupation},
      {"内容", Field::kText},
      {"声明", Field::kText},
      {"声明内容", Field::kText},
      {"留言", Field::kText},
      {"text", Field::kText},
      {"statement", Field::kText},
      {"组", Field::kGroup},
      {"分组", Field::kGroup},
      {"群组", Field::kGroup},
      {"家庭", Field::kGroup},
      {"团体", Field::kGroup},
      {"group", Field::kGroup},
      {"family", Field::kGroup},
      {"同意", Field::kConsent},
      {"同意声明", Field::kConsent},
      {"consent", Field::kConsent},
      {"地点", Field::kPlace},
      {"张贴地点", Field::kPlace},
      {"place", Field::kPlace},
      {"日期", Field::kDay},
      {"发表日期", Field::kDay},
      {"声明日期", Field::kDay},
      {"退党日期", Field::kDay},
      {"date", Field::kDay},
      {"day", Field::kDay},
      {"编号", Field::kRowId},
      {"序号", Field::kRowId},
      {"行号", Field::kRowId},
      {"id", Field::kRowId},
      {"rowid", Field::kRowId},
  };
  return *names;
}

const std::unordered_map<std::string, uint8_t>& OrganisationNames() {
  static const auto* names = new std::unordered_map<std::string, uint8_t>{
      {"党", kParty},
      {"中共", kParty},
      {"共产党", kParty},
      {"中国共产党", kParty},
      {"党员", kParty},
      {"party", kParty},
      {"ccp", kParty},
      {"cpc", kParty},
      {"团", kLeague},
      {"共青团", kLeague},
      {"青年团", kLeague},
      {"团员", kLeague},
      {"league", kLeague},
      {"youthleague", kLeague},
      {"cyl", kLeague},
      {"队", kPioneers},
      {"少先队", kPioneers},
      {"少年先锋队", kPioneers},
      {"队员", kPioneers},
      {"少先队员", kPioneers},
      {"pioneers", kPioneers},
      {"pioneer", kPioneers},
      {"youngpioneers", kPioneers},
      {"三退", kAllOrganisations},
      {"all", kAllOrganisations},
  };
  return *names;
}

// Chinese region names (Simplified); a value that starts with one of them matches, so
// 广东省, 北京市 and 内蒙古自治区 are understood.
constexpr std::pair<std::string_view, std::string_view> kRegionNames[] = {
    {"北京", "beijing"},         {"天津", "tianjin"},     {"上海", "shanghai"},
    {"重庆", "chongqing"},       {"河北", "hebei"},       {"山西", "shanxi"},
    {"辽宁", "liaoning"},        {"吉林", "jilin"},       {"黑龙江", "heilongjiang"},
    {"江苏", "jiangsu"},         {"浙江", "zhejiang"},    {"安徽", "anhui"},
    {"福建", "fujian"},          {"江西", "jiangxi"},     {"山东", "shandong"},
    {"河南", "henan"},           {"湖北", "hubei"},       {"湖南", "hunan"},
    {"广东", "guangdong"},       {"海南", "hainan"},      {"四川", "sichuan"},
    {"贵州", "guizhou"},         {"云南", "yunnan"},      {"陕西", "shaanxi"},
    {"甘肃", "gansu"},           {"青海", "qinghai"},     {"内蒙古", "inner_mongolia"},
    {"广西", "guangxi"},         {"西藏", "tibet"},       {"宁夏", "ningxia"},
    {"新疆", "xinjiang"},        {"香港", "hong_kong"},   {"澳门", "macau"},
    {"台湾", "taiwan"},          {"海外", "overseas"},    {"国外", "overseas"},
    {"不便透露", "undisclosed"}, {"保密", "undisclosed"}, {"不详", "undisclosed"},
};

constexpr std::pair<std::string_view, std::string_view> kOccupationNames[] = {
    {"官员", "official"},   {"干部", "official"},        {"公务员", "official"},
    {"军人", "military"},   {"军队", "military"},        {"警察", "police"},
    {"公安", "police"},     {"教师", "teacher"},         {"老师", "teacher"},
    {"学生", "student"},    {"工人", "worker"},          {"农民", "farmer"},
    {"商人", "business"},   {"经商", "business"},        {"企业主", "business"},
    {"个体户", "business"}, {"退休", "retired"},         {"其他", "other"},
    {"其它", "other"},      {"不便透露", "undisclosed"}, {"保密", "undisclosed"},
};

// Separators between organisations in one cell.
constexpr std::string_view kOrgSeparators[] = {",", "，", "、", ";",  "；", "/", "|",
                                               "+", "&",  " ",  "　", "和", "及"};

// True, false, or nullopt for a value that says neither.
std::optional<bool> ParseRealName(std::string_view cell) {
  std::string key = LookupKey(cell);
  static const auto* yes = new std::unordered_map<std::string, bool>{
      {"", false},        {"化名", false},      {"假名", false}, {"笔名", false},
      {"否", false},      {"pseudonym", false}, {"no", false},   {"n", false},
      {"false", false},   {"0", false},         {"真名", true},  {"实名", true},
      {"真实姓名", true}, {"是", true},         {"真", true},    {"real", true},
      {"realname", true}, {"yes", true},        {"y", true},     {"true", true},
      {"1", true},        {"x", true},          {"✓", true},     {"√", true}};
  auto it = yes->find(key);
  if (it == yes->end()) return std::nullopt;
  return it->second;
}

// Per-thread lookups with a cache: sheets repeat the same few values thousands of times,
// and folding (OpenCC) is the costly part.
class ValueMapper {
 public:
  // The organisation set of a cell; 0 when a part is unknown (*bad gets it).
  uint8_t Organisations(std::string_view cell, std::string* bad) {
    auto it = orgs_.find(cell);
    if (it != orgs_.end()) {
      if (it->second.first == 0) *bad = it->second.second;
      return it->second.first;
    }
    std::string unknown;
    uint8_t set = ParseOrganisations(cell, &unknown);
    orgs_.emplace(std::string(cell), std::make_pair(set, unknown));
    if (set == 0) *bad = unknown;
    return set;
  }
  // True, false, or nullopt for a value that says neither.
  std::optional<bool> RealName(std::string_view cell) {
    auto it = real_.find(cell);
    if (it != real_.end()) return it->second;
    auto v = ParseRealName(cell);
    real_.emplace(std::string(cell), v);
    return v;
  }
  // A region or occupation code ("" when unknown).
  std::string_view Region(std::string_view cell) { return Category(cell, true); }
  std::string_view Occupation(std::string_view cell) { return Category(cell, false); }

 private:
  static uint8_t ParseOrganisations(std::string_view cell, std::string* unknown) {
    std::string key = FoldName(TrimSpace(cell));
    // Split on every separator.
    std::vector<std::string> parts{""};
    for (size_t i = 0; i < key.size();) {
      bool sep = false;
      for (std::string_view s : kOrgSeparators) {
        if (key.compare(i, s.size(), s) == 0) {
          if (!parts.back().empty()) parts.emplace_back();
          i += s.size();
          sep = true;
          break;
        }
      }
      if (!sep) parts.back() += key[i++];
    }
    uint8_t set = 0;
    const auto& names = OrganisationNames();
    for (const std::string& part : parts) {
      if (part.empty()) continue;
      auto it = names.find(part);
      if (it != names.end()) {
        set |= it->second;
        continue;
      }
      // "党团队", "团队": one character per organisation, written together.
      uint8_t together = 0;
      bool all = part.size() % 3 == 0;
      for (size_t i = 0; all && i < part.size(); i += 3) {
        auto one = names.find(part.substr(i, 3));
        if (one == names.end() || one->second == kAllOrganisations) all = false;
        else together |= one->second;
      }
      if (!all) {
        *unknown = std::string(TrimSpace(cell));
        return 0;
      }
      set |= together;
    }
    if (set == 0) *unknown = std::string(TrimSpace(cell));
    return set;
  }

  std::string_view Category(std::string_view cell, bool region) {
    auto& cache = region ? regions_ : occupations_;
    auto it = cache.find(cell);
    if (it != cache.end()) return it->second;
    std::string key = FoldName(TrimSpace(cell));
    std::string ascii;
    for (char c : key) ascii += (c == ' ' || c == '-') ? '_' : c;
    std::string_view code;
    if (region ? ParseRegion(ascii).has_value() : ParseOccupation(ascii).has_value()) {
      code = region ? RegionCode(*ParseRegion(ascii)) : OccupationCode(*ParseOccupation(ascii));
    } else if (region && (ascii == "macao" || ascii == "hongkong" || ascii == "innermongolia")) {
      code = ascii == "macao" ? "macau" : ascii == "hongkong" ? "hong_kong" : "inner_mongolia";
    } else if (region) {
      for (const auto& [name, c] : kRegionNames) {
        if (key.starts_with(name)) {
          code = c;
          break;
        }
      }
    } else {
      for (const auto& [name, c] : kOccupationNames) {
        if (key == name) {
          code = c;
          break;
        }
      }
    }
    cache.emplace(std::string(cell), code);
    return code;
  }

  StringMap<std::pair<uint8_t, std::string>> orgs_;
  StringMap<std::string_view> regions_, occupations_;
  StringMap<std::optional<bool>> real_;
};

struct Row {
  int64_t line = 0;
  std::vector<std::string> cells;
  // Set when the row cannot be read as cells: bad bytes, an unterminated quote, more
  // cells than the header.
  std::optional<RejectReason> problem;
  std::vector<std::string> problem_args;
};

// One statement to be: the rows it is made of (one, or the rows of a group).
struct Unit {
  std::vector<size_t> rows;
};

struct UnitResult {
  bool ok = false;
  Submission sub;
  std::string content_hash;  // of the normalised content, before the occurrence index
  std::string row_id;        // the row id column's cell (empty: none)
  std::vector<RejectedRow> rejected;
};

// The value of a cell as a report quotes it: at most kMaxEchoedChars code points, cut at a
// character's boundary; a value that is not valid UTF-8 is not quoted at all.
std::string Echo(std::string_view value) {
  value = TrimSpace(IsValidUtf8(value) ? value : std::string_view());
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if ((static_cast<uint8_t>(value[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (chars++ == kMaxEchoedChars) return std::string(value.substr(0, i)) + "…";
  }
  return std::string(value);
}

RejectedRow Unknown(int64_t line, std::string field, std::string_view value) {
  return {line, std::move(field), RejectReason::kUnknownValue, {Echo(value)}};
}

RejectedRow FromFieldError(int64_t line, const FieldError& e) {
  switch (e.code) {
    case ErrorCode::kRequired: return {line, e.field, RejectReason::kRequired, {}};
    case ErrorCode::kTooLong: return {line, e.field, RejectReason::kTooLong, {}};
    case ErrorCode::kInvalidCharacters:
      return {line, e.field, RejectReason::kInvalidCharacters, {}};
    // The draft's values are codes the import already mapped: nothing to quote.
    case ErrorCode::kUnknownValue: return {line, e.field, RejectReason::kUnknownValue, {""}};
    case ErrorCode::kTooMany:
      return {
          line, e.field, RejectReason::kTooManyPersons, {std::to_string(kMaxFurtherPersons + 1)}};
  }
  return {line, e.field, RejectReason::kInvalidCharacters, {}};
}

class Importer {
 public:
  Importer(const ImportOptions& options, const std::array<int, kFieldCount>& columns,
           std::vector<Row>& rows, Language language)
      : options_(options), columns_(columns), rows_(rows), language_(language) {}

  std::string_view Cell(const Row& row, Field f) const {
    int c = columns_[static_cast<int>(f)];
    if (c < 0 || static_cast<size_t>(c) >= row.cells.size()) return {};
    return row.cells[c];
  }

  UnitResult Build(const Unit& unit, ValueMapper& mapper) const {
    UnitResult r;
    StatementDraft draft;
    std::vector<int64_t> lines;
    std::string region, occupation, text, consent, place;
    std::string day_cell;
    for (size_t k = 0; k < unit.rows.size(); ++k) {
      const Row& row = rows_[unit.rows[k]];
      lines.push_back(row.line);
      if (row.problem) {
        r.rejected.push_back({row.line, "", *row.problem, row.problem_args});
        continue;
      }
      PersonDraft p;
      p.name = std::string(Cell(row, Field::kName));
      auto real = mapper.RealName(Cell(row, Field::kRealName));
      if (!real) {
        r.rejected.push_back(Unknown(row.line, "real_name", Cell(row, Field::kRealName)));
        continue;
      }
      p.real_name = *real;
      std::string_view orgs = Cell(row, Field::kOrganisations);
      if (TrimSpace(IsValidUtf8(orgs) ? orgs : std::string_view()).empty()) {
        r.rejected.push_back({row.line, "organisations", RejectReason::kRequired, {}});
        continue;
      }
      std::string bad;
      uint8_t set = mapper.Organisations(orgs, &bad);
      if (set == 0) {
        r.rejected.push_back(Unknown(row.line, "organisations", bad));
        continue;
      }
      for (Organisation o : kOrganisationList) {
        if (set & o) p.organisations.emplace_back(OrganisationCode(o));
      }
      auto take = [&](Field f, std::string* into) {
        std::string_view v = Cell(row, f);
        if (into->empty() && IsValidUtf8(v) && !TrimSpace(v).empty()) *into = std::string(v);
      };
      take(Field::kRegion, &region);
      take(Field::kOccupation, &occupation);
      take(Field::kText, &text);
      take(Field::kConsent, &consent);
      take(Field::kPlace, &place);
      take(Field::kDay, &day_cell);
      take(Field::kRowId, &r.row_id);
      if (k == 0) draft.declarant = std::move(p);
      else draft.others.push_back(std::move(p));
    }
    if (!r.rejected.empty()) return Reject(unit, std::move(r));
    if (!region.empty()) {
      std::string_view code = mapper.Region(region);
      if (code.empty()) {
        r.rejected.push_back(Unknown(lines[0], "region", region));
        return Reject(unit, std::move(r));
      }
      draft.region = std::string(code);
    }
    if (!occupation.empty()) {
      std::string_view code = mapper.Occupation(occupation);
      if (code.empty()) {
        r.rejected.push_back(Unknown(lines[0], "occupation", occupation));
        return Reject(unit, std::move(r));
      }
      draft.occupation = std::string(code);
    }
    draft.text = text;
    Day day = 0;
    if (options_.historic) {
      auto parsed = ParseSheetDay(day_cell);
      if (day_cell.empty()) {
        r.rejected.push_back({lines[0], "day", RejectReason::kRequired, {}});
      } else if (!parsed) {
        r.rejected.push_back({lines[0], "day", RejectReason::kBadDate, {Echo(day_cell)}});
      } else if (*parsed > Today()) {
        r.rejected.push_back({lines[0], "day", RejectReason::kFutureDate, {FormatDay(*parsed)}});
      } else if (*parsed < kEarliestHistoricDay) {
        r.rejected.push_back({lines[0],
                              "day",
                              RejectReason::kTooEarly,
                              {FormatDay(*parsed), FormatDay(kEarliestHistoricDay)}});
      } else {
        day = *parsed;
      }
      if (!r.rejected.empty()) return Reject(unit, std::move(r));
    }
    Statement& st = r.sub.statement;
    auto errors = ValidateStatement(draft, &st);
    for (const FieldError& e : errors) {
      int64_t line = e.person < lines.size() ? lines[e.person] : lines[0];
      r.rejected.push_back(FromFieldError(line, e));
    }
    // Consent and place are single lines like names, at most a text's length.
    for (auto [field, value, out] :
         {std::tuple{"consent", &consent, &st.consent}, std::tuple{"place", &place, &st.place}}) {
      if (value->empty()) continue;
      std::string v = Nfc(TrimSpace(*value));
      if (HasForbiddenCharacter(v, TextKind::kSingleLine)) {
        r.rejected.push_back({lines[0], field, RejectReason::kInvalidCharacters, {}});
      } else if (CountCodePoints(v) > kMaxTextChars) {
        r.rejected.push_back({lines[0], field, RejectReason::kTooLong, {}});
      } else {
        *out = std::move(v);
      }
    }
    if (!r.rejected.empty()) return Reject(unit, std::move(r));
    st.channel = options_.channel;
    st.language = language_;
    st.operator_id = options_.operator_id;
    r.sub.publish = options_.publish;
    st.day = day;
    r.content_hash = ContentHash(st);
    if (!options_.dry_run) {
      // The intake's one preparation (receipt code, folded names), on this worker thread.
      Draft d;
      d.statement = std::move(st);
      d.publish = options_.publish;
      r.sub = Intake::Prepare(std::move(d), options_.channel, language_, nullptr);
    }
    r.sub.day = day;
    r.ok = true;
    return r;
  }

 private:
  // Every row of a group goes when one of them is rejected.
  UnitResult Reject(const Unit& unit, UnitResult r) const {
    r.ok = false;
    std::sort(r.rejected.begin(), r.rejected.end(),
              [](const RejectedRow& a, const RejectedRow& b) { return a.line < b.line; });
    int64_t first_bad = r.rejected.front().line;
    for (size_t i : unit.rows) {
      int64_t line = rows_[i].line;
      bool has = std::any_of(r.rejected.begin(), r.rejected.end(),
                             [&](const RejectedRow& x) { return x.line == line; });
      if (!has) {
        r.rejected.push_back(
            {line, "group", RejectReason::kGroupRejected, {std::to_string(first_bad)}});
      }
    }
    return r;
  }

  const ImportOptions& options_;
  const std::array<int, kFieldCount>& columns_;
  std::vector<Row>& rows_;
  Language language_;
};

// Counts the header cells `decoded` (the first line, UTF-8) maps to known columns.
int KnownColumns(std::string_view first_line) {
  int known = 0;
  size_t start = 0;
  while (start <= first_line.size()) {
    size_t end = first_line.find_first_of(",\t;", start);
    if (end == std::string_view::npos) end = first_line.size();
    std::string_view cell = first_line.substr(start, end - start);
    if (!cell.empty() && cell.front() == '"') cell.remove_prefix(1);
    if (!cell.empty() && cell.back() == '"') cell.remove_suffix(1);
    if (HeaderNames().count(LookupKey(cell))) ++known;
    start = end + 1;
  }
  return known;
}

}  // namespace

std::string DetectEncoding(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) return "UTF-8";
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return "UTF-16";
  if (IsValidUtf8(bytes)) return "UTF-8";
  // The header's column names decide when they are Chinese: 姓名 reads as a column name in
  // one encoding only.
  std::string_view first = bytes.substr(0, bytes.find('\n'));
  int gb = 0, big5 = 0;
  std::vector<int64_t> ignored;
  if (auto s = ToUtf8(first, "GB18030", &ignored)) gb = KnownColumns(*s);
  if (auto s = ToUtf8(first, "BIG5-HKSCS", &ignored)) big5 = KnownColumns(*s);
  if (gb != big5) return gb > big5 ? "GB18030" : "BIG5-HKSCS";
  return GbOverBig5(bytes) >= 0 ? "GB18030" : "BIG5-HKSCS";
}

// Reads the header row (the first line that is not blank) into *header: the column of
// each known field (-1: absent), the unknown columns noted in *report. An error without a
// name or an organisations column.
static Result<std::array<int, kFieldCount>> ReadHeader(CsvReader& reader,
                                                       const std::string& encoding,
                                                       std::vector<std::string>* header,
                                                       ImportReport* report) {
  int64_t header_line = 0;
  // The header is the first line that is not blank.
  while (true) {
    CsvRecord rec;
    if (!reader.Next(&rec)) return Error{"the file is empty: no header row"};
    bool blank = std::all_of(rec.cells.begin(), rec.cells.end(),
                             [](const std::string& c) { return c.empty(); });
    if (blank) continue;
    *header = std::move(rec.cells);
    header_line = rec.line;
    break;
  }
  std::array<int, kFieldCount> columns;
  columns.fill(-1);
  for (size_t i = 0; i < header->size(); ++i) {
    auto it = HeaderNames().find(LookupKey((*header)[i]));
    if (it == HeaderNames().end() || columns[static_cast<int>(it->second)] >= 0) {
      if (!TrimSpace(IsValidUtf8((*header)[i]) ? (*header)[i] : "").empty()) {
        report->ignored_columns.push_back(Echo((*header)[i]));
      }
      continue;
    }
    columns[static_cast<int>(it->second)] = static_cast<int>(i);
  }
  if (columns[static_cast<int>(Field::kName)] < 0) {
    return Error{fmt::format("line {}: no name column in the header (姓名 or name; read as {})",
                             header_line, encoding)};
  }
  if (columns[static_cast<int>(Field::kOrganisations)] < 0) {
    return Error{
        fmt::format("line {}: no organisations column in the header (组织 or "
                    "organisations)",
                    header_line)};
  }
  return columns;
}

Result<ImportReport> ImportCsv(std::string_view bytes, const ImportOptions& options,
                               Intake* intake) {
  ImportReport report;
  if (bytes.size() > kMaxImportBytes) {
    return Error{fmt::format("the file is larger than {} MiB", kMaxImportBytes >> 20)};
  }
  std::string encoding =
      options.encoding.empty() ? DetectEncoding(bytes) : CanonicalEncoding(options.encoding);
  if (encoding.empty()) {
    return Error{"unknown encoding '" + options.encoding +
                 "': use utf-8, gb18030 (gbk), big5 or utf-16"};
  }
  report.encoding = encoding;
  std::vector<int64_t> bad_lines;
  auto text = ToUtf8(bytes, encoding, &bad_lines);
  if (!text) return Error{text.error()};

  CsvReader reader(*text);
  report.delimiter = reader.delimiter();
  std::vector<std::string> header;
  auto read = ReadHeader(reader, encoding, &header, &report);
  if (!read) return Error{read.error()};
  std::array<int, kFieldCount> columns = *read;
  int& day_column = columns[static_cast<int>(Field::kDay)];
  if (!options.historic && day_column >= 0) {
    // Only an admin's --historic makes a date the publication day; otherwise it is one
    // of a volunteer's own columns (the day of a call), ignored like any other.
    report.ignored_columns.push_back(Echo(header[day_column]));
    day_column = -1;
  }
  if (options.historic && day_column < 0) {
    return Error{"historic records need a date column (日期 or date) with each row's day"};
  }
  if (options.historic && !options.publish) {
    return Error{
        "historic records are published at once on their own day: they cannot be held for "
        "moderation (--hold, [policy] import = \"hold\")"};
  }

  // Rows, with the reader's problems attached.
  std::vector<Row> rows;
  {
    CsvRecord rec;
    size_t bad = 0;
    while (reader.Next(&rec)) {
      bool blank = std::all_of(rec.cells.begin(), rec.cells.end(), [](const std::string& c) {
        return TrimSpace(IsValidUtf8(c) ? c : "x").empty();
      });
      if (blank && !rec.unterminated) continue;
      Row row{rec.line, std::move(rec.cells), std::nullopt, {}};
      if (rec.unterminated) row.problem = RejectReason::kUnterminatedQuote;
      while (bad < bad_lines.size() && bad_lines[bad] < row.line) ++bad;
      if (!row.problem && bad < bad_lines.size() && bad_lines[bad] <= rec.last_line) {
        row.problem = RejectReason::kBadBytes;
        row.problem_args = {encoding};
      }
      if (!row.problem && row.cells.size() > header.size()) {
        bool extra = std::any_of(row.cells.begin() + header.size(), row.cells.end(),
                                 [](const std::string& c) { return !c.empty(); });
        if (extra) {
          row.problem = RejectReason::kTooManyCells;
          row.problem_args = {std::to_string(row.cells.size()), std::to_string(header.size())};
        }
      }
      rows.push_back(std::move(row));
    }
  }
  report.rows = static_cast<int64_t>(rows.size());

  // Statements: one per row, or one per group of rows sharing a group cell.
  std::vector<Unit> units;
  {
    std::unordered_map<std::string, size_t> groups;
    int gc = columns[static_cast<int>(Field::kGroup)];
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string key;
      if (gc >= 0 && static_cast<size_t>(gc) < rows[i].cells.size() &&
          IsValidUtf8(rows[i].cells[gc])) {
        key = std::string(TrimSpace(rows[i].cells[gc]));
      }
      if (key.empty()) {
        units.push_back({{i}});
        continue;
      }
      auto [it, fresh] = groups.emplace(key, units.size());
      if (fresh) units.push_back({{i}});
      else units[it->second].rows.push_back(i);
    }
  }

  Language language = encoding == "BIG5-HKSCS" ? Language::kTraditional : Language::kSimplified;
  Importer importer(options, columns, rows, language);
  std::vector<UnitResult> results(units.size());
  {
    // Validation, folding and hashing spread over a few threads; the store writes alone.
    size_t threads =
        units.size() < 4096 ? 1 : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
    std::atomic<size_t> next{0}, done{0};
    constexpr size_t kChunk = 512;
    auto work = [&] {
      ValueMapper mapper;
      while (true) {
        size_t begin = next.fetch_add(kChunk);
        if (begin >= units.size()) return;
        size_t end = std::min(units.size(), begin + kChunk);
        for (size_t i = begin; i < end; ++i) results[i] = importer.Build(units[i], mapper);
        done.fetch_add(end - begin);
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    if (options.progress && threads > 1) {
      while (done.load() < units.size()) {
        options.progress(done.load(), units.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } else {
      work();
    }
    for (auto& t : pool) t.join();
    if (options.progress) options.progress(units.size(), units.size());
  }

  // Each statement's source key: its source and its row id, or its content and which
  // occurrence of that content it is in the file (import_source.h).
  std::vector<Submission> batch;
  std::vector<int64_t> batch_lines;
  SourceKeys keys(options.source.empty()
                      ? (options.file_name.empty() ? "upload" : options.file_name)
                      : options.source);
  for (size_t i = 0; i < results.size(); ++i) {
    UnitResult& r = results[i];
    const int64_t line = rows[units[i].rows[0]].line;
    if (r.ok) {
      if (auto taken = keys.Assign(r.content_hash, r.row_id, line, &r.sub)) {
        r.ok = false;
        r.rejected.push_back({line,
                              "row_id",
                              RejectReason::kRepeatedRowId,
                              {Echo(r.row_id), std::to_string(*taken)}});
      }
    }
    if (!r.ok) {
      for (auto& x : r.rejected) report.rejected.push_back(std::move(x));
      continue;
    }
    ++report.statements;
    report.persons += PersonsCount(r.sub.statement);
    batch_lines.push_back(line);
    batch.push_back(std::move(r.sub));
  }
  std::stable_sort(report.rejected.begin(), report.rejected.end(),
                   [](const RejectedRow& a, const RejectedRow& b) { return a.line < b.line; });

  if (options.dry_run || (!options.partial && !report.rejected.empty()) || batch.empty()) {
    return report;
  }
  if (!intake) return Error{"no intake to store the sheet with"};
  if (Status stored = StoreSheet(std::move(batch), batch_lines, options, intake, &report);
      !stored) {
    return Error{stored.message()};
  }
  report.stored = true;
  return report;
}

}  // namespace tuidang::intake
