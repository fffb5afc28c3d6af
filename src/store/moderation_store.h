// Held statements and their review: the moderation queue, approval (publication with its
// number and leaf), rejection, the declarant's own withdrawal with the receipt code, the
// abuse gate's flood groups and the sealed private fields. A role of Store (store.h).
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/receipt.h"
#include "core/result.h"
#include "core/statement.h"
#include "store/operator_store.h"

namespace tuidang {

// Which held statements ListHeld returns: those matching channel and day, oldest (lowest id)
// first, one page at a time by keyset: with `before` set, the last `limit` of those below
// it; otherwise the first `limit` above `after`. A page costs O(limit), never O(held).
struct HeldFilter {
  std::optional<Channel> channel;
  std::optional<Day> day;
  int64_t after = 0;              // ids greater than this
  std::optional<int64_t> before;  // ids less than this (a previous page)
  int limit = 100;
};

// A group of held statements that share a flood signature (safety/flood.h).
struct HeldGroup {
  std::string group;
  std::string reason;
  int64_t statements = 0;
  Day first_day = 0, last_day = 0;
};

// A held statement's id and who entered it (0: the declarant), for the second-operator rule.
struct HeldEntry {
  int64_t id = 0;
  int64_t operator_id = 0;
};

class ModerationStore {
 public:
  virtual ~ModerationStore() = default;
  // One page of held statements (HeldFilter), in ascending id order, with their persons.
  virtual Result<std::vector<Statement>> ListHeld(const HeldFilter& filter) = 0;
  // How many held statements match filter's channel and day (its bounds and limit are
  // ignored), counting at most `cap`: a flood of a million costs `cap` index steps.
  virtual Result<int64_t> CountHeld(const HeldFilter& filter, int64_t cap) = 0;
  // Publishes the held statements `ids` (others are skipped) in one durable transaction:
  // today's day, consecutive numbers, their leaves, the totals, and `audit`'s entries
  // (called with the numbers). Returns the numbers given.
  virtual Result<std::vector<int64_t>> Approve(
      const std::vector<int64_t>& ids, const AuditFor<std::vector<int64_t>>& audit = {}) = 0;
  // Rejects the held statements `ids`: they never enter the log; their names and text are
  // deleted at once (the row stays, marked rejected, so a receipt says so). `audit`'s
  // entries (called with how many were rejected) are written in the same transaction.
  // Returns how many were rejected.
  virtual Result<int64_t> Reject(const std::vector<int64_t>& ids,
                                 const AuditFor<int64_t>& audit = {}) = 0;
  // The declarant's own withdrawal: a published statement is withdrawn (reason
  // declarant-request: a withdrawal leaf, the totals lowered); a held one is marked
  // withdrawn too, without a number or leaf since it was never published. Either way the
  // names, text, notes and sealed fields are deleted in the same transaction. Returns false
  // when the code matches nothing that can still be withdrawn.
  virtual Result<bool> WithdrawByReceipt(const ReceiptHash& receipt) = 0;

  // Purges rejected statements, and held ones their declarant withdrew (withdrawn without
  // a number), whose rejection or withdrawal is older than `retention_hours` (0: every
  // one): their rows, persons, sealed fields and hold entries are deleted and the WAL is
  // truncated. Each is dated (to the hour) by the first purge that sees it. Withdrawn
  // published statements stay (their number and leaf are public). Returns how many
  // statements were purged.
  virtual Result<int64_t> PurgeRejected(int64_t retention_hours) = 0;
  // After the declarant's own withdrawal: deletes the sealed fields (contact, attachments)
  // of the withdrawn or rejected statement of `receipt` at once. Returns how many.
  virtual Result<int64_t> ForgetSealed(const ReceiptHash& receipt) = 0;
  // Held statements grouped by flood group, largest first.
  virtual Result<std::vector<HeldGroup>> ListHeldGroups() = 0;
  // Rejects every statement still held in `group` in one transaction: their names, text
  // and sealed fields are deleted (nothing was ever published or counted). Returns how many.
  virtual Result<int64_t> RejectHeldGroup(const std::string& group) = 0;
  // The statements still held in flood group `group` (ListHeldGroups), by id.
  virtual Result<std::vector<HeldEntry>> HeldInGroup(const std::string& group) = 0;
  // The statement held under `receipt`, with its persons; nullopt when none is held.
  virtual Result<std::optional<Statement>> FindHeldByReceipt(const ReceiptHash& receipt) = 0;
  // The declarant's correction: replaces the persons, region, occupation and text of held
  // statement `id` with those of `corrected` (validated). Returns false, changing nothing,
  // when it is no longer held.
  virtual Result<bool> CorrectHeld(int64_t id, const Statement& corrected) = 0;

  // The sealed private fields of statement `id` (internal id), as stored: (field, box).
  virtual Result<std::vector<std::pair<std::string, std::string>>> ReadSealed(int64_t id) = 0;
  // Internal ids of statements with sealed fields, newest first, with their status.
  virtual Result<std::vector<std::pair<int64_t, StatementStatus>>> ListSealed(int limit) = 0;
};

}  // namespace tuidang
