// Moderation in the open (docs/moderation-stats.md): what the public statistics say about
// held, rejected and withdrawn statements, per day and reason. Pure: the stores keep one
// counter per (day, event, reason), raised in the transaction of the act itself, and never
// count statements to answer a reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/day.h"

namespace tuidang {

// What happened to a statement. Stored as these numbers: never renumber.
enum class ModerationEvent : uint8_t {
  kHeld = 1,       // stored for a moderator to decide (day received)
  kRejected = 2,   // a moderator (or `tuidang held reject`) rejected it (day rejected)
  kWithdrawn = 3,  // withdrawn, published or not (day withdrawn)
};
std::string_view ModerationEventCode(ModerationEvent e);  // "held", "rejected", "withdrawn"

// The reason of a held or rejected statement that no abuse check flagged: held by the
// center's policy for a moderator's review (operator entries, mail, `policy = "hold"`).
constexpr std::string_view kReviewReason = "review";
// The reason of a withdrawal before publication: the declarant withdrew a held or accepted
// statement with its receipt code; it never had a number or a log entry.
constexpr std::string_view kUnpublishedReason = "before-publication";

// The reason a held statement counts under: the abuse gate's hold reason ("no_pow",
// "generated_name", ...) or kReviewReason when it has none.
std::string_view HeldReason(std::string_view hold_reason);

struct ModerationCount {
  Day day = 0;
  ModerationEvent event = ModerationEvent::kHeld;
  std::string reason;
  int64_t statements = 0;
  bool operator==(const ModerationCount&) const = default;
};

// The last day whose moderation counts are public: the day before `today`. Today's counts
// would move with each act, and a reader polling them would learn when a statement was held
// or withdrawn to the minute (DESIGN.md: nothing finer than the day).
Day LastPublicModerationDay(Day today);

}  // namespace tuidang
