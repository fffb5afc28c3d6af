#include "core/publication.h"

#include <fmt/format.h>

#include "core/leaf.h"
#include "core/random.h"

namespace tuidang {

Publication PublicationRun::Assign(Statement* st) {
  Publication p;
  p.number = next_number_++;
  p.day = day_;
  p.leaf_index = next_leaf_++;
  p.salt = RandomBytes(kSaltSize);
  st->number = p.number;
  st->day = day_;
  CountStatement(*st, &delta_);
  return p;
}

void PublicationRun::Seal(const Statement& st, Publication* p) {
  p->record = CanonicalRecord(st);
  p->entry = EncodeLeaf(LeafOf(st, Commit(p->salt, p->record)));
}

PublicationRun& DayRuns::On(Day day) {
  if (runs_.empty() || runs_.back().run.day() != day) {
    const int64_t n = next_number();
    const uint64_t l = next_leaf();
    runs_.push_back(Run{PublicationRun(n, l, day), n});
  }
  return runs_.back().run;
}

Status CheckHistoricDay(Day day, Day today, bool published_at_once, Channel channel) {
  if (day == 0) return Status::Ok();
  if (day > today || !published_at_once || channel == Channel::kWeb) {
    return Status::Fail(
        fmt::format("a historic day ({}) is for a statement published at once by an operator, "
                    "on or before today",
                    FormatDay(day)));
  }
  return Status::Ok();
}

}  // namespace tuidang
