#include "audit/totals.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "core/leaf.h"

namespace tuidang::audit {

namespace json = boost::json;

namespace {

void AddDay(std::map<Day, DayTotals>* by_day, Day day, int64_t persons, int64_t statements) {
  auto [it, inserted] = by_day->try_emplace(day);
  it->second.persons += static_cast<uint64_t>(persons);
  it->second.statements += static_cast<uint64_t>(statements);
  if (it->second.statements == 0) by_day->erase(it);
}

// A non-negative integer member of `object`, by name, or an error naming `where.name`.
Result<uint64_t> Count(const json::object& object, std::string_view name, std::string_view where) {
  const json::value* v = object.if_contains(name);
  const std::string member = where.empty() ? std::string(name) : fmt::format("{}.{}", where, name);
  if (v == nullptr) return Error{fmt::format("stats: no {}", member)};
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  return Error{fmt::format("stats: {} is not a non-negative integer", member)};
}

Result<Day> Date(const json::object& object, std::string_view where) {
  const json::value* v = object.if_contains("date");
  if (v == nullptr || !v->is_string())
    return Error{fmt::format("stats: {}.date is missing", where)};
  const json::string& s = v->get_string();
  std::optional<Day> day = ParseDay(std::string_view(s.data(), s.size()));
  if (!day) return Error{fmt::format("stats: {}.date {:?} is not a date", where, std::string(s))};
  return *day;
}

// Both counts of a {date, persons, statements} object.
Result<std::pair<Day, DayTotals>> DayEntry(const json::value& v, std::string_view where) {
  if (!v.is_object()) return Error{fmt::format("stats: {} is not an object", where)};
  const json::object& o = v.get_object();
  Result<Day> day = Date(o, where);
  if (!day) return Error{day.error()};
  Result<uint64_t> persons = Count(o, "persons", where);
  if (!persons) return Error{persons.error()};
  Result<uint64_t> statements = Count(o, "statements", where);
  if (!statements) return Error{statements.error()};
  return std::pair{*day, DayTotals{*persons, *statements}};
}

std::string Differ(std::string_view what, uint64_t stats, uint64_t log) {
  return fmt::format("{}: the stats say {}, the log counts {}", what, stats, log);
}

}  // namespace

Tally::Tally(EarlierEntry earlier, std::optional<uint64_t> snapshot_size)
    : earlier_(std::move(earlier)), snapshot_size_(snapshot_size) {
  MaybeSnapshot();
}

void Tally::Count(const StatementLeaf& f, int sign) {
  const int64_t s = sign;
  totals_.statements += static_cast<uint64_t>(s);
  totals_.persons += static_cast<uint64_t>(s * f.persons);
  totals_.party += static_cast<uint64_t>(s * f.party);
  totals_.league += static_cast<uint64_t>(s * f.league);
  totals_.pioneers += static_cast<uint64_t>(s * f.pioneers);
  AddDay(&totals_.by_day, f.day, s * f.persons, s);
}

void Tally::MaybeSnapshot() {
  if (snapshot_size_ && *snapshot_size_ == entries_) snapshot_ = totals_;
}

size_t Tally::StateBytes() const {
  // A std::map node holds three pointers and a colour beside its value; an unordered_set
  // node a pointer and its value (and the cached hash), plus a bucket array.
  constexpr size_t kMapNode = 4 * sizeof(void*) + sizeof(std::pair<const Day, DayTotals>);
  constexpr size_t kSetNode = 2 * sizeof(void*) + sizeof(uint64_t);
  size_t days = totals_.by_day.size();
  if (snapshot_) days += snapshot_->by_day.size();
  return days * kMapNode + withdrawn_.size() * kSetNode + withdrawn_.bucket_count() * sizeof(void*);
}

Status Tally::Add(uint64_t index, std::string_view entry) {
  Result<ParsedLeaf> leaf = DecodeLeaf(entry);
  if (!leaf) return Status::Fail(fmt::format("leaf {}: {}", index, leaf.error()));
  if (leaf->statement) {
    const StatementLeaf& s = *leaf->statement;
    if (s.party > s.persons || s.league > s.persons || s.pioneers > s.persons) {
      return Status::Fail(fmt::format(
          "leaf {}: counts more persons in an organisation than its {} persons", index, s.persons));
    }
    Count(s, +1);
  } else {
    const uint64_t target = leaf->withdrawal->cancelled;
    if (target >= index) {
      return Status::Fail(
          fmt::format("leaf {}: withdraws leaf {}, which is not an earlier leaf", index, target));
    }
    // Only statement leaves enter withdrawn_, so a hit is a second withdrawal of a statement.
    if (withdrawn_.contains(target)) {
      return Status::Fail(
          fmt::format("leaf {}: withdraws leaf {}, which was already withdrawn", index, target));
    }
    Result<std::string> again = earlier_(target);
    if (!again) {
      return Status::Fail(
          fmt::format("leaf {}: withdraws leaf {}: {}", index, target, again.error()));
    }
    Result<ParsedLeaf> cancelled = DecodeLeaf(*again);
    if (!cancelled) {
      return Status::Fail(
          fmt::format("leaf {}: withdraws leaf {}: {}", index, target, cancelled.error()));
    }
    if (!cancelled->statement) {
      return Status::Fail(fmt::format(
          "leaf {}: withdraws leaf {}, which is a withdrawal, not a statement", index, target));
    }
    Count(*cancelled->statement, -1);
    withdrawn_.insert(target);
    ++withdrawals_;
  }
  ++entries_;
  MaybeSnapshot();
  return Status::Ok();
}

Result<PublishedStats> ParseStats(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return Error{fmt::format("stats: not JSON ({})", ec.message())};
  if (!root.is_object()) return Error{"stats: not a JSON object"};
  const json::object& o = root.get_object();

  PublishedStats out;
  Totals& t = out.totals;
  for (auto [name, field] :
       {std::pair{"total_persons", &t.persons}, std::pair{"total_statements", &t.statements}}) {
    Result<uint64_t> v = Count(o, name, "");
    if (!v) return Error{v.error()};
    *field = *v;
  }
  const json::value* orgs = o.if_contains("persons_by_organisation");
  if (orgs == nullptr || !orgs->is_object()) {
    return Error{"stats: no persons_by_organisation object"};
  }
  for (auto [name, field] : {std::pair{"party", &t.party}, std::pair{"league", &t.league},
                             std::pair{"pioneers", &t.pioneers}}) {
    Result<uint64_t> v = Count(orgs->get_object(), name, "persons_by_organisation");
    if (!v) return Error{v.error()};
    *field = *v;
  }

  const json::value* days = o.if_contains("by_day");
  if (days == nullptr || !days->is_array()) return Error{"stats: no by_day array"};
  size_t i = 0;
  for (const json::value& d : days->get_array()) {
    Result<std::pair<Day, DayTotals>> entry = DayEntry(d, fmt::format("by_day[{}]", i++));
    if (!entry) return Error{entry.error()};
    if (t.by_day.contains(entry->first)) {
      return Error{fmt::format("stats: by_day lists {} twice", FormatDay(entry->first))};
    }
    if (entry->second.statements != 0 || entry->second.persons != 0) {
      t.by_day.emplace(entry->first, entry->second);
    }
  }

  if (const json::value* today = o.if_contains("today"); today != nullptr && !today->is_null()) {
    Result<std::pair<Day, DayTotals>> entry = DayEntry(*today, "today");
    if (!entry) return Error{entry.error()};
    out.today = *entry;
  }
  if (o.contains("tree_size")) {
    Result<uint64_t> size = Count(o, "tree_size", "");
    if (!size) return Error{size.error()};
    out.tree_size = *size;
  }
  return out;
}

Status CompareTotals(const Totals& log, const PublishedStats& stats) {
  const Totals& s = stats.totals;
  for (auto [name, a, b] :
       {std::tuple{"total_statements", s.statements, log.statements},
        std::tuple{"total_persons", s.persons, log.persons},
        std::tuple{"persons_by_organisation.party", s.party, log.party},
        std::tuple{"persons_by_organisation.league", s.league, log.league},
        std::tuple{"persons_by_organisation.pioneers", s.pioneers, log.pioneers}}) {
    if (a != b) return Status::Fail(Differ(name, a, b));
  }
  // Walk both day lists in date order and report the earliest day that differs.
  auto si = s.by_day.begin();
  auto li = log.by_day.begin();
  while (si != s.by_day.end() || li != log.by_day.end()) {
    Day day;
    DayTotals stated, counted;
    if (li == log.by_day.end() || (si != s.by_day.end() && si->first < li->first)) {
      day = si->first;
      stated = (si++)->second;
    } else if (si == s.by_day.end() || li->first < si->first) {
      day = li->first;
      counted = (li++)->second;
    } else {
      day = si->first;
      stated = (si++)->second;
      counted = (li++)->second;
    }
    if (stated.statements != counted.statements) {
      return Status::Fail(Differ(fmt::format("by_day {} statements", FormatDay(day)),
                                 stated.statements, counted.statements));
    }
    if (stated.persons != counted.persons) {
      return Status::Fail(Differ(fmt::format("by_day {} persons", FormatDay(day)), stated.persons,
                                 counted.persons));
    }
  }
  if (stats.today) {
    const auto& [day, stated] = *stats.today;
    auto it = log.by_day.find(day);
    const DayTotals counted = it == log.by_day.end() ? DayTotals{} : it->second;
    if (stated.statements != counted.statements) {
      return Status::Fail(Differ(fmt::format("today ({}) statements", FormatDay(day)),
                                 stated.statements, counted.statements));
    }
    if (stated.persons != counted.persons) {
      return Status::Fail(Differ(fmt::format("today ({}) persons", FormatDay(day)), stated.persons,
                                 counted.persons));
    }
  }
  return Status::Ok();
}

}  // namespace tuidang::audit
