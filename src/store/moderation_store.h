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

  // Purges rejected statements whose rejection is older than `retention_hours` (0: every
  // one): their rows, persons, sealed fields and hold entries are deleted and the WAL is
  // truncated. A rejection is dated (to the hour) by the first purge that sees it.
  // Returns how many statements were purged.
  virtual Result<int64_t> PurgeRejected(int64_t retention_hours) = 0;
  // After the declarant's own withdrawal: deletes the sealed fields (contact, attachments)
  // of the withdrawn or rejected statement of `receipt` at once. Returns how many.
  virtual Result<int64_t> ForgetSealed(const ReceiptHash& receipt) = 0;
  // Internal ids of the statements still held in flood group `group` (Store::ListHeldGroups).
  virtual Result<std::vector<int64_t>> HeldInGroup(const std::string& group) = 0;
  // The statement held under `receipt`, with its persons; nullopt when none is held.
  virtual Result<std::optional<Statement>> FindHeldByReceipt(const ReceiptHash& receipt) = 0;
  // The declarant's correction: replaces the persons, region, occupation and text of held
  // statement `id` with those of `corrected` (validated). Returns false, changing nothing,
  // when it is no longer held.
  virtual Result<bool> CorrectHeld(int64_t id, const Statement& corrected) = 0;
};

}  // namespace tuidang
