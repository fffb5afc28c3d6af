#include "core/totals.h"

#include <algorithm>

namespace tuidang {

DayCount Totals::Of(Day day) const {
  auto it = std::lower_bound(by_day.begin(), by_day.end(), day,
                             [](const DayCount& c, Day d) { return c.day < d; });
  if (it != by_day.end() && it->day == day) return *it;
  return DayCount{day, 0, 0};
}

void Totals::Add(const Totals& delta, Day day) {
  statements += delta.statements;
  persons += delta.persons;
  party += delta.party;
  league += delta.league;
  pioneers += delta.pioneers;
  auto it = std::lower_bound(by_day.begin(), by_day.end(), day,
                             [](const DayCount& c, Day d) { return c.day < d; });
  if (it == by_day.end() || it->day != day) it = by_day.insert(it, DayCount{day, 0, 0});
  it->statements += delta.statements;
  it->persons += delta.persons;
  for (int dim : {kDimChannel, kDimRegion, kDimOccupation}) {
    auto* to = CategoryMap(this, dim);
    for (const auto& [code, c] : CategoryMap(delta, dim)) {
      CategoryCount& sum = (*to)[code];
      sum.statements += c.statements;
      sum.persons += c.persons;
      if (sum.statements == 0 && sum.persons == 0) to->erase(code);
    }
  }
}

std::map<int, CategoryCount>* CategoryMap(Totals* t, int dim) {
  switch (dim) {
    case kDimChannel: return &t->by_channel;
    case kDimRegion: return &t->by_region;
    default: return &t->by_occupation;
  }
}

const std::map<int, CategoryCount>& CategoryMap(const Totals& t, int dim) {
  return *CategoryMap(const_cast<Totals*>(&t), dim);
}

void CountCategories(Totals* t, int channel, int region, int occupation, int64_t persons,
                     int sign) {
  for (auto [dim, code] : {std::pair{kDimChannel, channel}, std::pair{kDimRegion, region},
                           std::pair{kDimOccupation, occupation}}) {
    CategoryCount& c = (*CategoryMap(t, dim))[code];
    c.statements += sign;
    c.persons += sign * persons;
  }
}

void CountStatement(const Statement& s, Totals* delta) {
  delta->statements += 1;
  for (const auto& p : s.persons) {
    delta->persons += 1;
    delta->party += (p.organisations & kParty) != 0;
    delta->league += (p.organisations & kLeague) != 0;
    delta->pioneers += (p.organisations & kPioneers) != 0;
  }
  CountCategories(delta, static_cast<int>(s.channel), static_cast<int>(s.region),
                  static_cast<int>(s.occupation), PersonsCount(s), 1);
}

}  // namespace tuidang
