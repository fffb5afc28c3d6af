#include "core/publication.h"

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

}  // namespace tuidang
