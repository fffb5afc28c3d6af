// Publication batches (intake/publisher.h): web statements are stored as accepted when
// they arrive and published later, many at once in a random order, so that neither the day
// list nor the checkpoint stream tells when one of them arrived more finely than its batch
// (DESIGN.md, privacy). A role of Store (store.h). Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"

namespace tuidang {

class PublicationStore {
 public:
  virtual ~PublicationStore() = default;
  // Internal ids of accepted statements (StatementStatus::kAccepted), at most `limit`, in
  // no meaningful order.
  virtual Result<std::vector<int64_t>> ListAccepted(int64_t limit) = 0;
  // Publishes the accepted statements `ids` in one durable transaction, numbered and
  // appended to the log in exactly the order given (the caller shuffles), dated with the
  // publication day; ids no longer accepted are skipped. Returns the numbers given, in the
  // order of `ids` that were published.
  virtual Result<std::vector<int64_t>> PublishAccepted(const std::vector<int64_t>& ids) = 0;
};

}  // namespace tuidang
