// The one entry point of every statement, whatever its channel: the web form, the JSON API,
// the console's entry form and sheet upload, `tuidang import` and `tuidang mail-intake`.
// The channel reads and validates what it was given (core/statement.h ValidateStatement);
// the intake does the rest, the same way for all of them: a receipt code, the folded names,
// the private fields sealed to the office key, the abuse gate's decision for a declarant's
// own statement, the operator's audit entry, and the submission queued to the one writer
// (intake/sequencer.h), whose answer comes back once it is durable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/statement.h"
#include "intake/sequencer.h"
#include "safety/client_key.h"
#include "safety/guard.h"
#include "safety/seal.h"
#include "store/store.h"

namespace tuidang::intake {

// A validated statement and what its channel decided for it.
struct Draft {
  // From ValidateStatement; operator_id, consent and place set by an operator's channel.
  Statement statement;
  // The channel's policy: publish at once or hold for moderation; with publish, store it
  // accepted for the next publication batch (intake/publisher.h) instead.
  bool publish = true;
  bool batched = false;
  // Why the channel holds it, and the moderation group it is filed under (an e-mail: every
  // copy of one spam wave in one group); the abuse gate may set its own.
  std::string hold_reason, hold_group;
  // Private fields in clear, (name, content): sealed here to the office key, never stored
  // in clear ("contact", "attachment.1", "email.message", ...).
  std::vector<std::pair<std::string, std::string>> private_fields;
};

// What a declarant's own statement (the web form, the API) brings for the abuse gate
// (safety/guard.h): the proof of work and the contact left for follow-up.
struct SafetyInput {
  std::string_view pow_challenge;
  std::string_view pow_nonce;
  std::string_view contact;  // sealed when an office key is configured; may be empty
};

// The outcome of queueing.
struct Queueing {
  enum class Kind { kQueued, kRefused, kOverloaded };
  Kind kind = Kind::kQueued;
  // kRefused: the abuse gate's refusal (429/503, Retry-After), to be answered as such.
  safety::Admission refusal;
  bool queued() const { return kind == Kind::kQueued; }
};

class Intake {
 public:
  // `sequencer` must outlive the intake. `guard` (may be null: no abuse gate) decides for
  // declarants' own statements; `office` (may be null) is the key private fields are sealed
  // to: without it a declarant's contact is dropped and other private fields refused
  // (Prepare's contract). Both, when given, must outlive the intake.
  Intake(Sequencer* sequencer, safety::Guard* guard, const safety::OfficePublicKey* office);

  // Builds the submission and queues it. With `safety` (a declarant's own statement), the
  // abuse gate assesses it and may hold it for moderation or refuse it; without (an
  // operator's entry, an e-mail), the draft's policy stands. An operator's entry
  // (statement.operator_id != 0) writes ("entered", "statement N" or "held statement ID",
  // with its sealed attachments counted) to the audit trail in its own transaction, so that
  // it is stored only with its entry. `done` is called once, on the sequencer's answering
  // thread, when the statement is durable or failed, unless the result is not kQueued.
  // Thread-safe. REQUIRES: Private fields are only given when has_office_key().
  Queueing Submit(Draft draft, Channel channel, Language language,
                  const std::optional<SafetyInput>& safety,
                  const std::optional<safety::ClientKey>& client, Sequencer::Done done);

  // A group of submissions (Prepare'd, with their source keys) stored whole in one
  // transaction (a sheet's import), with `audit`'s entries; see Sequencer::SubmitGroup.
  // Returns false, without calling `done`, when the queue is full or stopping.
  bool SubmitGroup(std::vector<Submission> group, Sequencer::GroupDone done,
                   AuditFor<BatchOutcome> audit);

  // The submission for `draft`: channel and language set, a fresh receipt code, the folded
  // names, the private fields sealed to `office`. Pure but for the randomness; thread-safe,
  // so that an import prepares its rows on several threads. REQUIRES: `office` is not null
  // when draft.private_fields is not empty.
  static Submission Prepare(Draft draft, Channel channel, Language language,
                            const safety::OfficePublicKey* office);

  bool has_office_key() const { return office_ != nullptr; }
  const safety::OfficePublicKey* office_key() const { return office_; }

 private:
  Sequencer* const sequencer_;
  safety::Guard* const guard_;
  const safety::OfficePublicKey* const office_;
};

// The audit entry of an operator's entry (Intake::Submit): "statement N" when it was
// published, "held statement ID" otherwise, with its sealed attachments counted.
AuditEntry EnteredEntry(const Submission& sub, const Committed& committed);

}  // namespace tuidang::intake
