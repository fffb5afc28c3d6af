// Publication: what the domain decides when statements are published, whatever the store
// keeps them in: consecutive numbers from the next free one, the day, a fresh salt per
// statement, the canonical public record, the log entry that commits to both
// (docs/log-format.md), and what they add to the totals. A store reads the next free number
// and leaf inside its own transaction, hands them here, and keeps what it is given
// (CONVENTIONS.md: "the domain decides, the store only keeps what it is given").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/day.h"
#include "core/result.h"
#include "core/statement.h"
#include "core/totals.h"

namespace tuidang {

// What is stored for one published statement.
struct Publication {
  int64_t number = 0;
  Day day = 0;
  uint64_t leaf_index = 0;
  std::string salt;    // kSaltSize random bytes (core/leaf.h)
  std::string record;  // CanonicalRecord of the numbered statement
  std::string entry;   // the log leaf's entry: its countable facts and Commit(salt, record)
};

// The statements published by one transaction (a batch, an approval, a publication batch),
// in the order given to Assign. Not thread-safe; Seal is.
class PublicationRun {
 public:
  // The first statement assigned gets `next_number` and leaf `next_leaf`; all get `day`.
  PublicationRun(int64_t next_number, uint64_t next_leaf, Day day)
      : next_number_(next_number), next_leaf_(next_leaf), day_(day) {}

  // Gives `st` the next number and the run's day (st->number, st->day), reserves the next
  // leaf, draws a salt and counts the statement in delta(). Its record and entry are left
  // to Seal, which may run later and on other threads.
  Publication Assign(Statement* st);
  // Fills p->record and p->entry for `st` as Assign numbered it.
  static void Seal(const Statement& st, Publication* p);

  int64_t next_number() const { return next_number_; }
  uint64_t next_leaf() const { return next_leaf_; }
  Day day() const { return day_; }
  // What the statements assigned so far add to the totals (on day()).
  const Totals& delta() const { return delta_; }

 private:
  int64_t next_number_;
  uint64_t next_leaf_;
  Day day_;
  Totals delta_;
};

// The statements one batch publishes, in runs of one day: the day of the commit, or a
// historic record's own (`tuidang import --historic`). Numbers and leaves run on from one
// run to the next in the order of On's calls, which is the log's order; a day may have
// several runs (2004, 2010, 2004 again), each counted on its own day.
class DayRuns {
 public:
  struct Run {
    PublicationRun run;
    int64_t first_number;
  };
  DayRuns(int64_t next_number, uint64_t next_leaf)
      : next_number_(next_number), next_leaf_(next_leaf) {}

  // The run to Assign the next statement of `day` with: the last one if it is of that day,
  // else a new one from where the last ended. Valid until the next call.
  PublicationRun& On(Day day);
  const std::vector<Run>& runs() const { return runs_; }
  // The next free number and leaf after every run.
  int64_t next_number() const {
    return runs_.empty() ? next_number_ : runs_.back().run.next_number();
  }
  uint64_t next_leaf() const { return runs_.empty() ? next_leaf_ : runs_.back().run.next_leaf(); }

 private:
  int64_t next_number_;
  uint64_t next_leaf_;
  std::vector<Run> runs_;
};

// A historic day (Submission::day, not 0) is only for a statement published at once (not
// held, not batched) that no web declarant sent, on or before `today`: the error both
// stores refuse such a batch with, or OK.
Status CheckHistoricDay(Day day, Day today, bool published_at_once, Channel channel);

}  // namespace tuidang
