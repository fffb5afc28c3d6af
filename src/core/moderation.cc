#include "core/moderation.h"

namespace tuidang {

std::string_view ModerationEventCode(ModerationEvent e) {
  switch (e) {
    case ModerationEvent::kHeld: return "held";
    case ModerationEvent::kRejected: return "rejected";
    case ModerationEvent::kWithdrawn: return "withdrawn";
  }
  return "unknown";
}

std::string_view HeldReason(std::string_view hold_reason) {
  return hold_reason.empty() ? kReviewReason : hold_reason;
}

Day LastPublicModerationDay(Day today) { return today - 1; }

}  // namespace tuidang
