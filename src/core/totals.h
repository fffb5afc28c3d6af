// The count: totals over published statements, and how a statement adds to them. Pure: the
// stores keep these figures (incrementally, one upsert per batch and category) but do not
// decide them; an auditor recomputes the same from the log's entries (audit/totals.h).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/day.h"
#include "core/statement.h"

namespace tuidang {

struct DayCount {
  Day day;
  int64_t statements = 0;
  int64_t persons = 0;
};

// Statements and persons of one category (a channel, a region, an occupation).
struct CategoryCount {
  int64_t statements = 0;
  int64_t persons = 0;
  bool operator==(const CategoryCount&) const = default;
};

// Totals over published statements. A person counts once in `persons` and once in each
// organisation they leave.
struct Totals {
  int64_t statements = 0;
  int64_t persons = 0;
  int64_t party = 0, league = 0, pioneers = 0;
  std::vector<DayCount> by_day;  // ascending by day, days with publications only
  // The number of log leaves these totals account for: an auditor recomputes exactly these
  // totals from the first `tree_size` leaves.
  uint64_t tree_size = 0;
  // By the statement's channel, region and occupation (stored codes; 0 = not given), only
  // categories with published statements. Every person of a statement counts in its
  // statement's region and occupation.
  std::map<int, CategoryCount> by_channel, by_region, by_occupation;
  DayCount Of(Day day) const;
  // Adds `delta`, what one transaction published on `day` (CountStatement), to these
  // totals: the sums, the day and the categories (a category that falls to zero goes).
  // Leaves tree_size alone.
  void Add(const Totals& delta, Day day);
};

// The dimensions of the categories, as the stores number them.
enum CategoryDim : int { kDimChannel = 1, kDimRegion = 2, kDimOccupation = 3 };
std::map<int, CategoryCount>* CategoryMap(Totals* t, int dim);
const std::map<int, CategoryCount>& CategoryMap(const Totals& t, int dim);

// Adds `sign` times one statement of `persons` persons to its three categories.
void CountCategories(Totals* t, int channel, int region, int occupation, int64_t persons, int sign);
// Adds one published statement to `delta`: one statement, its persons and their
// organisations, and its categories.
void CountStatement(const Statement& s, Totals* delta);

}  // namespace tuidang
