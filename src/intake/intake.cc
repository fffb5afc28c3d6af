#include "intake/intake.h"

#include <sodium.h>

#include <algorithm>

#include "core/receipt.h"
#include "core/text.h"

namespace tuidang::intake {

Intake::Intake(Sequencer* sequencer, safety::Guard* guard, const safety::OfficePublicKey* office)
    : sequencer_(sequencer), guard_(guard), office_(office) {}

Submission Intake::Prepare(Draft draft, Channel channel, Language language,
                           const safety::OfficePublicKey* office) {
  Submission sub;
  sub.statement = std::move(draft.statement);
  sub.statement.channel = channel;
  sub.statement.language = language;
  sub.publish = draft.publish;
  sub.batched = draft.batched;
  sub.hold_reason = std::move(draft.hold_reason);
  sub.hold_group = std::move(draft.hold_group);
  sub.receipt_code = NewReceiptCode();
  // Folded here, on the caller's thread, so that the single writer does not spend its time
  // on it (Submission::folded_names).
  sub.folded_names.reserve(sub.statement.persons.size());
  for (const Person& p : sub.statement.persons) sub.folded_names.push_back(FoldName(p.name));
  for (auto& [field, plain] : draft.private_fields) {
    sub.sealed.emplace_back(field, safety::Seal(*office, plain));
    // The clear copy goes at once: a core dump or swapped page must not keep it.
    sodium_memzero(plain.data(), plain.size());
  }
  return sub;
}

Queueing Intake::Submit(Draft draft, Channel channel, Language language,
                        const std::optional<SafetyInput>& safety,
                        const std::optional<safety::ClientKey>& client, Sequencer::Done done) {
  if (safety && office_) {
    std::string_view contact =
        IsValidUtf8(safety->contact) ? TrimSpace(safety->contact) : std::string_view();
    if (!contact.empty()) draft.private_fields.emplace_back("contact", Nfc(contact));
  }
  Submission sub = Prepare(std::move(draft), channel, language, office_);
  if (safety && guard_) {
    safety::Verdict v =
        guard_->Assess(sub.statement, safety->pow_challenge, safety->pow_nonce, client);
    if (!v.admission.allowed) return {Queueing::Kind::kRefused, v.admission};
    if (!v.publish) {
      sub.publish = false;
      sub.hold_reason = v.reason;
      sub.hold_group = v.group;
    }
  }
  AuditFor<BatchOutcome> audit;
  if (sub.statement.operator_id != 0) {
    audit = [](const BatchOutcome& o) {
      return std::vector<AuditEntry>{EnteredEntry(o.batch[0], o.committed[0])};
    };
  }
  if (!sequencer_->Submit(std::move(sub), std::move(done), std::move(audit))) {
    return {Queueing::Kind::kOverloaded, {}};
  }
  return {};
}

bool Intake::SubmitGroup(std::vector<Submission> group, Sequencer::GroupDone done,
                         AuditFor<BatchOutcome> audit) {
  return sequencer_->SubmitGroup(std::move(group), std::move(done), std::move(audit));
}

AuditEntry EnteredEntry(const Submission& sub, const Committed& c) {
  AuditEntry e;
  e.operator_id = sub.statement.operator_id;
  e.action = "entered";
  e.object = c.number ? "statement " + std::to_string(*c.number)
                      : "held statement " + std::to_string(c.id);
  size_t attachments = std::count_if(sub.sealed.begin(), sub.sealed.end(), [](const auto& f) {
    return f.first.starts_with("attachment.");
  });
  if (attachments > 0) e.object += " (" + std::to_string(attachments) + " sealed attachments)";
  return e;
}

}  // namespace tuidang::intake
