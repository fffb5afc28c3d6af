#include "core/leaf.h"

#include <sodium.h>

#include <algorithm>

#include <boost/json.hpp>

namespace tuidang {

namespace {

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xFF));
}
void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xFF));
}
uint64_t Get(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

boost::json::array Organisations(uint8_t orgs) {
  boost::json::array a;
  for (Organisation o : kOrganisationList) {
    if (orgs & o) a.emplace_back(OrganisationCode(o));
  }
  return a;
}

boost::json::value Code(std::string_view code) {
  return code.empty() ? boost::json::value(nullptr) : boost::json::value(code);
}

}  // namespace

std::string_view WithdrawalReasonCode(WithdrawalReason r) {
  switch (r) {
    case WithdrawalReason::kDeclarantRequest: return "declarant-request";
    case WithdrawalReason::kDanger: return "danger";
    case WithdrawalReason::kFake: return "fake";
    case WithdrawalReason::kDuplicate: return "duplicate";
  }
  return "";
}

std::optional<WithdrawalReason> ParseWithdrawalReason(std::string_view code) {
  for (auto r : {WithdrawalReason::kDeclarantRequest, WithdrawalReason::kDanger,
                 WithdrawalReason::kFake, WithdrawalReason::kDuplicate}) {
    if (WithdrawalReasonCode(r) == code) return r;
  }
  return std::nullopt;
}

std::string CanonicalRecord(const Statement& s) {
  // Members in this order, always present; boost::json keeps insertion order and writes
  // non-ASCII characters as UTF-8, escaping only '"', '\\' and control characters.
  boost::json::object o;
  o["number"] = *s.number;
  o["date"] = FormatDay(s.day);
  o["channel"] = ChannelCode(s.channel);
  o["language"] = LanguageCode(s.language);
  o["region"] = Code(RegionCode(s.region));
  o["occupation"] = Code(OccupationCode(s.occupation));
  boost::json::array persons;
  for (const Person& p : s.persons) {
    boost::json::object po;
    po["name"] = p.name;
    po["real_name"] = p.real_name;
    po["organisations"] = Organisations(p.organisations);
    persons.push_back(std::move(po));
  }
  o["persons"] = std::move(persons);
  o["text"] = s.text;
  // Operator channels' public notes, present only when there are some (web statements
  // never have them, so their records keep the shorter form).
  if (!s.consent.empty()) o["consent"] = s.consent;
  if (!s.place.empty()) o["place"] = s.place;
  return boost::json::serialize(o);
}

Commitment Commit(std::string_view salt, std::string_view record) {
  Commitment c;
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(kCommitmentDomain.data()),
                            kCommitmentDomain.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(record.data()),
                            record.size());
  crypto_hash_sha256_final(&st, c.data());
  return c;
}

StatementLeaf LeafOf(const Statement& s, const Commitment& commitment) {
  StatementLeaf l;
  l.day = s.day;
  l.channel = s.channel;
  auto clamp = [](size_t v) { return static_cast<uint16_t>(std::min<size_t>(v, 65535)); };
  size_t party = 0, league = 0, pioneers = 0;
  for (const Person& p : s.persons) {
    party += (p.organisations & kParty) != 0;
    league += (p.organisations & kLeague) != 0;
    pioneers += (p.organisations & kPioneers) != 0;
  }
  l.persons = clamp(s.persons.size());
  l.party = clamp(party);
  l.league = clamp(league);
  l.pioneers = clamp(pioneers);
  l.commitment = commitment;
  return l;
}

std::string EncodeLeaf(const StatementLeaf& l) {
  std::string out;
  out.reserve(kStatementLeafSize);
  out.push_back(static_cast<char>(kLeafVersion));
  out.push_back(static_cast<char>(LeafKind::kStatement));
  PutU32(&out, static_cast<uint32_t>(l.day));
  out.push_back(static_cast<char>(l.channel));
  out.push_back(0);  // reserved
  PutU16(&out, l.persons);
  PutU16(&out, l.party);
  PutU16(&out, l.league);
  PutU16(&out, l.pioneers);
  out.append(reinterpret_cast<const char*>(l.commitment.data()), l.commitment.size());
  return out;
}

std::string EncodeLeaf(const WithdrawalLeaf& l) {
  std::string out;
  out.reserve(kWithdrawalLeafSize);
  out.push_back(static_cast<char>(kLeafVersion));
  out.push_back(static_cast<char>(LeafKind::kWithdrawal));
  PutU32(&out, static_cast<uint32_t>(l.day));
  out.push_back(static_cast<char>(l.reason));
  out.push_back(0);  // reserved
  PutU64(&out, l.cancelled);
  return out;
}

Result<ParsedLeaf> DecodeLeaf(std::string_view e) {
  if (e.size() < 2) return Error{"leaf shorter than its header"};
  if (static_cast<uint8_t>(e[0]) != kLeafVersion) return Error{"unknown leaf format version"};
  ParsedLeaf out;
  switch (static_cast<LeafKind>(e[1])) {
    case LeafKind::kStatement: {
      if (e.size() != kStatementLeafSize) return Error{"statement leaf is not 48 bytes"};
      if (e[7] != 0) return Error{"reserved byte is not zero"};
      StatementLeaf l;
      l.day = static_cast<Day>(Get(e, 2, 4));
      l.channel = static_cast<Channel>(e[6]);
      l.persons = static_cast<uint16_t>(Get(e, 8, 2));
      l.party = static_cast<uint16_t>(Get(e, 10, 2));
      l.league = static_cast<uint16_t>(Get(e, 12, 2));
      l.pioneers = static_cast<uint16_t>(Get(e, 14, 2));
      if (l.persons == 0) return Error{"statement leaf counts no person"};
      std::copy(e.begin() + 16, e.end(), reinterpret_cast<char*>(l.commitment.data()));
      out.statement = l;
      return out;
    }
    case LeafKind::kWithdrawal: {
      if (e.size() != kWithdrawalLeafSize) return Error{"withdrawal leaf is not 16 bytes"};
      if (e[7] != 0) return Error{"reserved byte is not zero"};
      WithdrawalLeaf l;
      l.day = static_cast<Day>(Get(e, 2, 4));
      l.reason = static_cast<WithdrawalReason>(e[6]);
      if (!ParseWithdrawalReason(WithdrawalReasonCode(l.reason))) {
        return Error{"unknown withdrawal reason"};
      }
      l.cancelled = Get(e, 8, 8);
      out.withdrawal = l;
      return out;
    }
  }
  return Error{"unknown leaf kind"};
}

}  // namespace tuidang
