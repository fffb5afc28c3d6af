#include "intake/intake.h"

#include <future>
#include <mutex>

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/receipt.h"
#include "core/text.h"

namespace tuidang::intake {
namespace {

// A store that keeps committed batches in memory, numbers published statements from 1 and
// writes the audit entries it is given, or fails them (`fail_audit`): then, as a real store
// must, it keeps nothing of the batch. Only CommitBatch is used by the intake.
// The one role the intake writes through (store/batch_writer.h).
class FakeStore final : public BatchWriter {
 public:
  Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit) override {
    std::lock_guard lock(mu_);
    out->clear();
    int64_t number = next_number_;
    for (const Submission& sub : batch) {
      Committed c;
      c.id = next_id_ + static_cast<int64_t>(out->size());
      c.status = !sub.publish  ? StatementStatus::kHeld
                 : sub.batched ? StatementStatus::kAccepted
                               : StatementStatus::kPublished;
      if (c.status == StatementStatus::kPublished) c.number = number++;
      out->push_back(c);
    }
    std::vector<AuditEntry> entries;
    if (audit) entries = audit(BatchOutcome{batch, *out});
    if (fail_audit && !entries.empty()) {
      out->clear();
      return Status::Fail("audit trail: disk full");  // rolled back: nothing kept
    }
    next_number_ = number;
    next_id_ += static_cast<int64_t>(batch.size());
    stored.insert(stored.end(), batch.begin(), batch.end());
    trail.insert(trail.end(), entries.begin(), entries.end());
    return Status::Ok();
  }
  Status Withdraw(int64_t, WithdrawalReason, const AuditFor<int64_t>&) override { return Unused(); }

  // Written by the sequencer's writer thread; read by the test once the answer came.
  std::vector<Submission> stored;
  std::vector<AuditEntry> trail;
  bool fail_audit = false;  // set before anything is queued

 private:
  static Error Unused() { return Error{"not used by the intake"}; }
  std::mutex mu_;
  int64_t next_number_ = 1, next_id_ = 1;
};

Draft Valid(std::string name, int64_t operator_id = 0) {
  StatementDraft d;
  d.declarant = {std::move(name), false, {"party"}};
  d.text = "退出";
  Draft draft;
  EXPECT_TRUE(ValidateStatement(d, &draft.statement).empty());
  draft.statement.operator_id = operator_id;
  return draft;
}

struct Answer {
  Status status;
  Submission sub;
  Committed committed;
};

// Submits and waits for the sequencer's answer.
Answer SubmitAndWait(Intake& in, Draft draft, Channel channel,
                     const std::optional<SafetyInput>& safety) {
  std::promise<Answer> p;
  auto f = p.get_future();
  Queueing q = in.Submit(std::move(draft), channel, Language::kTraditional, safety, std::nullopt,
                         [&p](const Status& s, const Submission& sub, const Committed& c) {
                           p.set_value({s, sub, c});
                         });
  EXPECT_TRUE(q.queued());
  return f.get();
}

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  FakeStore store_;
};

TEST_F(IntakeTest, PreparesAWebStatementAndQueuesIt) {
  auto key = safety::OfficeSecretKey::Generate();
  ASSERT_TRUE(key);
  const safety::OfficePublicKey office = key->Public();
  {
    Sequencer seq(&store_, 8, 8);
    Intake in(&seq, /*guard=*/nullptr, &office);
    Draft d = Valid("萬順");
    d.batched = true;
    Answer a =
        SubmitAndWait(in, std::move(d), Channel::kWeb, SafetyInput{"", "", "  wechat: wan  "});
    ASSERT_TRUE(a.status) << a.status.message();
    EXPECT_EQ(a.sub.statement.channel, Channel::kWeb);
    EXPECT_EQ(a.sub.statement.language, Language::kTraditional);
    EXPECT_EQ(ParseReceiptCode(a.sub.receipt_code), a.sub.receipt_code);
    ASSERT_EQ(a.sub.folded_names.size(), 1u);
    EXPECT_EQ(a.sub.folded_names[0], "万顺");  // folded before the writer sees it
    EXPECT_EQ(a.committed.status, StatementStatus::kAccepted);
    // The contact is sealed, trimmed, and never stored in clear.
    ASSERT_EQ(a.sub.sealed.size(), 1u);
    EXPECT_EQ(a.sub.sealed[0].first, "contact");
    auto contact = key->Open(a.sub.sealed[0].second);
    ASSERT_TRUE(contact);
    EXPECT_EQ(*contact, "wechat: wan");
  }
  ASSERT_EQ(store_.stored.size(), 1u);
  EXPECT_TRUE(store_.trail.empty()) << "a declarant's own statement has no audit entry";
}

TEST_F(IntakeTest, WithoutAnOfficeKeyTheContactIsDropped) {
  Sequencer seq(&store_, 8, 8);
  Intake in(&seq, nullptr, nullptr);
  Answer a = SubmitAndWait(in, Valid("王伟"), Channel::kWeb, SafetyInput{"", "", "wang@x"});
  ASSERT_TRUE(a.status);
  EXPECT_TRUE(a.sub.sealed.empty());
}

TEST_F(IntakeTest, TheAbuseGateHoldsAStatementWithoutProofOfWork) {
  safety::GuardOptions options;
  options.pow_hold = true;
  safety::Guard guard(options);
  Sequencer seq(&store_, 8, 8);
  Intake in(&seq, &guard, nullptr);
  Answer a = SubmitAndWait(in, Valid("王伟"), Channel::kWeb, SafetyInput{});
  ASSERT_TRUE(a.status);
  EXPECT_FALSE(a.sub.publish);
  EXPECT_FALSE(a.sub.hold_reason.empty());
  EXPECT_EQ(a.committed.status, StatementStatus::kHeld);
  // An operator's entry is not the gate's to judge: its policy stands.
  Answer entered = SubmitAndWait(in, Valid("李明", 7), Channel::kPhone, std::nullopt);
  ASSERT_TRUE(entered.status);
  EXPECT_EQ(entered.committed.status, StatementStatus::kPublished);
}

TEST_F(IntakeTest, AnOperatorsEntryIsStoredWithItsAuditEntry) {
  auto key = safety::OfficeSecretKey::Generate();
  ASSERT_TRUE(key);
  const safety::OfficePublicKey office = key->Public();
  {
    Sequencer seq(&store_, 8, 8);
    Intake in(&seq, nullptr, &office);
    Draft d = Valid("李明", 7);
    d.private_fields.emplace_back("attachment.1", "filename: a.pdf\n\n%PDF");
    d.private_fields.emplace_back("attachment.2", "filename: b.pdf\n\n%PDF");
    Answer a = SubmitAndWait(in, std::move(d), Channel::kLetter, std::nullopt);
    ASSERT_TRUE(a.status);
    Draft held = Valid("张三", 7);
    held.publish = false;
    Answer h = SubmitAndWait(in, std::move(held), Channel::kPhone, std::nullopt);
    ASSERT_TRUE(h.status);
  }
  ASSERT_EQ(store_.trail.size(), 2u);
  EXPECT_EQ(store_.trail[0].operator_id, 7);
  EXPECT_EQ(store_.trail[0].action, "entered");
  EXPECT_EQ(store_.trail[0].object, "statement 1 (2 sealed attachments)");
  EXPECT_EQ(store_.trail[1].object, "held statement 2");
}

TEST_F(IntakeTest, AnEntryWhoseAuditEntryCannotBeWrittenIsNotStored) {
  store_.fail_audit = true;
  {
    Sequencer seq(&store_, 8, 8);
    Intake in(&seq, nullptr, nullptr);
    Answer a = SubmitAndWait(in, Valid("李明", 7), Channel::kPhone, std::nullopt);
    EXPECT_FALSE(a.status) << "the failure reaches the operator";
    // A declarant's own statement writes no entry: the same store takes it.
    Answer web = SubmitAndWait(in, Valid("王伟"), Channel::kWeb, SafetyInput{});
    EXPECT_TRUE(web.status);
  }
  ASSERT_EQ(store_.stored.size(), 1u);
  EXPECT_EQ(store_.stored[0].statement.channel, Channel::kWeb);
  EXPECT_TRUE(store_.trail.empty());
}

TEST_F(IntakeTest, AFullQueueIsOverloadedAndCallsNothing) {
  Sequencer seq(&store_, /*queue_limit=*/0, 8);
  Intake in(&seq, nullptr, nullptr);
  bool called = false;
  Queueing q =
      in.Submit(Valid("王伟"), Channel::kWeb, Language::kSimplified, SafetyInput{}, std::nullopt,
                [&](const Status&, const Submission&, const Committed&) { called = true; });
  EXPECT_EQ(q.kind, Queueing::Kind::kOverloaded);
  EXPECT_FALSE(called);
}

TEST_F(IntakeTest, AGroupIsStoredWholeWithItsAuditEntries) {
  std::vector<Submission> group;
  for (int i = 0; i < 5; ++i) {
    group.push_back(Intake::Prepare(Valid("王" + std::to_string(i), 3), Channel::kSheet,
                                    Language::kSimplified, nullptr));
  }
  {
    Sequencer seq(&store_, 8, /*max_batch=*/2);  // smaller than the group: never split
    Intake in(&seq, nullptr, nullptr);
    Status result = AwaitWrite<Status>(
        [&](Sequencer::Then<Status> then) {
          return in.SubmitGroup(
              std::move(group),
              [then](const Status& s, std::span<const Submission> subs,
                     std::span<const Committed> committed) {
                EXPECT_EQ(subs.size(), 5u);
                EXPECT_EQ(committed.size(), 5u);
                then(s);
              },
              [](const BatchOutcome& o) {
                return std::vector<AuditEntry>{
                    {0, 3, "", "imported", std::to_string(o.committed.size()) + " statements"}};
              });
        },
        Status::Fail("refused"));
    ASSERT_TRUE(result) << result.message();
  }
  EXPECT_EQ(store_.stored.size(), 5u);
  ASSERT_EQ(store_.trail.size(), 1u);
  EXPECT_EQ(store_.trail[0].object, "5 statements");
}

}  // namespace
}  // namespace tuidang::intake
