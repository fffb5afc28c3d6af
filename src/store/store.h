// Store: where statements live, as the composition of the roles its users need. SQLite
// (store/sqlite) is the embedded default; a PostgreSQL implementation of the same roles
// serves when one machine is not enough.
//
// Callers should take the one role they use, so that a test fakes it in a few lines:
//   BatchWriter      (batch_writer.h)       the sequencer: CommitBatch, Withdraw
//   StatementReader  (statement_reader.h)   pages, API, export: statements, receipts, totals
//   LogStore         (log_store.h)          the integrator and /log/: leaves, tiles, checkpoints
//   ModerationStore  (moderation_store.h)   the console's queue, sealed fields, flood groups
//   OperatorStore    (operator_store.h)     operators and their audit trail
//   PublicationStore (publication_store.h)  the publication batches (intake/publisher.h)
//
// Thread-safety: every method may be called from any thread (each role says more).
#pragma once

#include "store/batch_writer.h"
#include "store/log_store.h"
#include "store/moderation_store.h"
#include "store/operator_store.h"
#include "store/publication_store.h"
#include "store/statement_reader.h"

namespace tuidang {

class Store : public BatchWriter,
              public StatementReader,
              public LogStore,
              public ModerationStore,
              public OperatorStore,
              public PublicationStore {
 public:
  ~Store() override = default;
};

}  // namespace tuidang
