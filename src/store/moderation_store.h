// Held statements and their review: the moderation queue, approval (publication with its
// number and leaf), rejection, and the declarant's own withdrawal with the receipt code.
// The SQLite store implements this beside Store. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/receipt.h"
#include "core/result.h"
#include "core/statement.h"

namespace tuidang {

struct HeldFilter {
  std::optional<Channel> channel;
  std::optional<Day> day;
  int limit = 20000;  // the queue shows at most this many, oldest first
};

class ModerationStore {
 public:
  virtual ~ModerationStore() = default;
  // Held statements, oldest first, with their persons.
  virtual Result<std::vector<Statement>> ListHeld(const HeldFilter& filter) = 0;
  // Publishes the held statements `ids` (others are skipped) in one durable transaction:
  // today's day, consecutive numbers, their leaves, the totals. Returns the numbers given.
  virtual Result<std::vector<int64_t>> Approve(const std::vector<int64_t>& ids) = 0;
  // Rejects the held statements `ids`: they never enter the log; their names and text are
  // deleted at once (the row stays, marked rejected, so a receipt says so).
  virtual Result<int64_t> Reject(const std::vector<int64_t>& ids) = 0;
  // The declarant's own withdrawal: a published statement is withdrawn (reason
  // declarant-request), a held one rejected. Returns false when the code matches nothing
  // that can still be withdrawn.
  virtual Result<bool> WithdrawByReceipt(const ReceiptHash& receipt) = 0;
};

}  // namespace tuidang
