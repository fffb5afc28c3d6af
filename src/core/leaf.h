// The log's leaves (docs/log-format.md specifies every byte): the countable facts of a
// published statement and a commitment to its public record, or the withdrawal of an
// earlier leaf. Pure functions; the auditor and the server share them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/statement.h"

namespace tuidang {

constexpr uint8_t kLeafVersion = 1;
enum class LeafKind : uint8_t { kStatement = 1, kWithdrawal = 2 };
constexpr size_t kStatementLeafSize = 48;
constexpr size_t kWithdrawalLeafSize = 16;
// Salt bytes per statement: enough that a commitment reveals nothing of a short record.
constexpr size_t kSaltSize = 16;
// Prefixed to the salt and the record in the commitment, so that it can never be confused
// with a hash of anything else.
constexpr std::string_view kCommitmentDomain = "tuidang statement v1\n";

// Why a leaf was withdrawn. Never renumber.
enum class WithdrawalReason : uint8_t {
  kDeclarantRequest = 1,  // the declarant asked, with their receipt code
  kDanger = 2,            // publication endangers someone
  kFake = 3,              // proven fake or made without consent
  kDuplicate = 4,         // the same person declared twice
};
std::string_view WithdrawalReasonCode(WithdrawalReason r);  // "declarant-request", ...
std::optional<WithdrawalReason> ParseWithdrawalReason(std::string_view code);

using Commitment = std::array<uint8_t, 32>;

// The canonical public record of a published statement: compact JSON with members in a
// fixed order (docs/log-format.md). REQUIRES: s.number is set.
std::string CanonicalRecord(const Statement& s);
// SHA-256(kCommitmentDomain || salt || record).
Commitment Commit(std::string_view salt, std::string_view record);

struct StatementLeaf {
  Day day = 0;
  Channel channel = Channel::kWeb;
  uint16_t persons = 0, party = 0, league = 0, pioneers = 0;
  Commitment commitment{};
};
struct WithdrawalLeaf {
  Day day = 0;
  WithdrawalReason reason = WithdrawalReason::kDeclarantRequest;
  uint64_t cancelled = 0;  // index of the statement leaf it withdraws
};

// The leaf facts of a statement (persons counted per organisation).
StatementLeaf LeafOf(const Statement& s, const Commitment& commitment);
std::string EncodeLeaf(const StatementLeaf& leaf);
std::string EncodeLeaf(const WithdrawalLeaf& leaf);

// A parsed entry: exactly one of the two is set. Fails on an unknown version or kind, a
// wrong length, or nonzero reserved bytes.
struct ParsedLeaf {
  std::optional<StatementLeaf> statement;
  std::optional<WithdrawalLeaf> withdrawal;
};
Result<ParsedLeaf> DecodeLeaf(std::string_view entry);

}  // namespace tuidang
