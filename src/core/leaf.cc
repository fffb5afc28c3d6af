#include "core/leaf.h"

#include <sodium.h>

#include <algorithm>

#include <string>

namespace tuidang {

namespace {

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}
void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}
uint64_t Get(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

// The canonical record's JSON, written directly (it is made for every published statement,
// on the writer thread). It writes exactly what boost::json::serialize writes for the same
// object (leaf_test checks it against boost::json): members in insertion order, non-ASCII
// characters as UTF-8, escaping only '"', '\\' and control characters.
class RecordWriter {
 public:
  explicit RecordWriter(std::string* out) : out_(out) {}
  void Key(std::string_view k) {
    out_->push_back(first_ ? '{' : ',');
    first_ = false;
    String(k);
    out_->push_back(':');
  }
  void String(std::string_view v) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_->push_back('"');
    for (char ch : v) {
      auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out_->append("\\\""); break;
        case '\\': out_->append("\\\\"); break;
        case '\b': out_->append("\\b"); break;
        case '\f': out_->append("\\f"); break;
        case '\n': out_->append("\\n"); break;
        case '\r': out_->append("\\r"); break;
        case '\t': out_->append("\\t"); break;
        default:
          if (c < 0x20) {
            out_->append("\\u00");
            out_->push_back(kHex[c >> 4]);
            out_->push_back(kHex[c & 15]);
          } else {
            out_->push_back(ch);
          }
      }
    }
    out_->push_back('"');
  }
  void CodeOrNull(std::string_view code) {
    if (code.empty()) out_->append("null");
    else String(code);
  }
  void Int(int64_t v) { out_->append(std::to_string(v)); }
  void Bool(bool v) { out_->append(v ? "true" : "false"); }
  void Raw(char c) { out_->push_back(c); }
  void End() { out_->append(first_ ? "{}" : "}"); }

 private:
  std::string* out_;
  bool first_ = true;
};
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
  // Members in this order, always present (the format is docs/log-format.md's).
  std::string out;
  out.reserve(160 + s.text.size() + 64 * s.persons.size());
  RecordWriter w(&out);
  w.Key("number");
  w.Int(*s.number);
  w.Key("date");
  w.String(FormatDay(s.day));
  w.Key("channel");
  w.String(ChannelCode(s.channel));
  w.Key("language");
  w.String(LanguageCode(s.language));
  w.Key("region");
  w.CodeOrNull(RegionCode(s.region));
  w.Key("occupation");
  w.CodeOrNull(OccupationCode(s.occupation));
  w.Key("persons");
  w.Raw('[');
  for (size_t i = 0; i < s.persons.size(); ++i) {
    const Person& p = s.persons[i];
    if (i > 0) w.Raw(',');
    RecordWriter pw(&out);
    pw.Key("name");
    pw.String(p.name);
    pw.Key("real_name");
    pw.Bool(p.real_name);
    pw.Key("organisations");
    pw.Raw('[');
    bool first = true;
    for (Organisation o : kOrganisationList) {
      if (!(p.organisations & o)) continue;
      if (!first) pw.Raw(',');
      first = false;
      pw.String(OrganisationCode(o));
    }
    pw.Raw(']');
    pw.End();
  }
  w.Raw(']');
  w.Key("text");
  w.String(s.text);
  // Operator channels' public notes, present only when there are some (web statements
  // never have them, so their records keep the shorter form).
  if (!s.consent.empty()) {
    w.Key("consent");
    w.String(s.consent);
  }
  if (!s.place.empty()) {
    w.Key("place");
    w.String(s.place);
  }
  w.End();
  return out;
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
