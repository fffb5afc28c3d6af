#include "tlog/policy.h"

#include <fmt/format.h>

#include <charconv>
#include <map>

namespace tuidang::tlog {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Only tab, newline and bytes from 0x20 (0x7F excluded) are allowed (the spec's character set).
bool AllowedBytes(std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\t' || c == '\n') continue;
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

std::optional<size_t> ParseThreshold(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  size_t k = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), k);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return k;
}

}  // namespace

std::string QuorumCheck::Describe() const {
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  std::string out =
      signed_by.empty() ? "cosigned by none of the witnesses" : "cosigned by " + list(signed_by);
  if (!missing.empty()) out += "; not by " + list(missing);
  return out;
}

Result<Policy> Policy::Parse(std::string_view text) {
  if (text.size() > kMaxPolicySize) return Error{"policy: larger than 64 KiB"};
  if (!AllowedBytes(text)) return Error{"policy: control characters other than tab and newline"};
  Policy p;
  std::map<std::string, int, std::less<>> names;  // witness index, or -(group index + 1)
  std::set<std::string> public_keys;
  bool have_quorum = false;
  std::optional<int> quorum;  // as `names` holds it; nullopt for "quorum none"
  // Witness lines may follow groups, so node indices (witnesses first, then groups) are only
  // known at the end: `names` holds a witness's index or -(a group's index + 1) until then.
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto f = SplitFields(line);
    if (f.empty() || f[0].starts_with('#')) continue;
    auto fail = [&](std::string why) {
      return Error{fmt::format("policy line {}: {}", line_no, why)};
    };
    if (f[0] == "log") {
      if (f.size() < 2 || f.size() > 3) return fail("expected 'log <vkey> [<url>]'");
      auto key = NoteVerifier::Parse(f[1]);
      if (!key) return fail("bad log key: " + key.error());
      std::string pk(reinterpret_cast<const char*>(key->public_key().data()), 32);
      if (!public_keys.insert(pk).second) return fail("the same public key is listed twice");
      if (p.logs_.size() == kMaxPolicyLogs) return fail("too many logs");
      p.logs_.push_back({std::move(*key), f.size() == 3 ? std::string(f[2]) : ""});
    } else if (f[0] == "witness") {
      if (f.size() < 3 || f.size() > 4) return fail("expected 'witness <name> <vkey> [<url>]'");
      std::string name(f[1]);
      if (name == "none") return fail("'none' is a reserved name");
      if (names.contains(name)) return fail(fmt::format("the name '{}' is defined twice", name));
      auto key = CosignatureVerifier::Parse(f[2]);
      if (!key) return fail(fmt::format("bad key for witness '{}': {}", name, key.error()));
      std::string pk(reinterpret_cast<const char*>(key->public_key().data()), 32);
      if (!public_keys.insert(pk).second) return fail("the same public key is listed twice");
      if (p.witnesses_.size() == kMaxPolicyWitnesses) return fail("too many witnesses");
      names[name] = static_cast<int>(p.witnesses_.size());
      p.witnesses_.push_back({name, std::move(*key), f.size() == 4 ? std::string(f[3]) : ""});
    } else if (f[0] == "group") {
      if (f.size() < 4) return fail("expected 'group <name> all|any|<k> <name>...'");
      std::string name(f[1]);
      if (name == "none") return fail("'none' is a reserved name");
      if (names.contains(name)) return fail(fmt::format("the name '{}' is defined twice", name));
      if (p.groups_.size() == kMaxPolicyGroups) return fail("too many groups");
      Group g;
      g.name = name;
      std::set<std::string_view> seen;
      for (size_t i = 3; i < f.size(); ++i) {
        auto it = names.find(f[i]);
        if (it == names.end()) {
          return fail(fmt::format("group '{}' names '{}', which is not defined above", name, f[i]));
        }
        if (!seen.insert(f[i]).second) {
          return fail(fmt::format("group '{}' lists '{}' twice", name, f[i]));
        }
        g.members.push_back(it->second);
      }
      const size_t n = g.members.size();
      if (f[2] == "all") {
        g.k = n;
      } else if (f[2] == "any") {
        g.k = 1;
      } else {
        auto k = ParseThreshold(f[2]);
        if (!k || *k < 1 || *k > n) {
          return fail(
              fmt::format("group '{}': the threshold must be all, any or a number from "
                          "1 to {}",
                          name, n));
        }
        g.k = *k;
      }
      names[name] = -static_cast<int>(p.groups_.size()) - 1;
      p.groups_.push_back(std::move(g));
    } else if (f[0] == "quorum") {
      if (f.size() != 2) return fail("expected 'quorum <name>'");
      if (have_quorum) return fail("a second quorum line (a policy has exactly one)");
      have_quorum = true;
      if (f[1] != "none") {
        auto it = names.find(f[1]);
        if (it == names.end()) {
          return fail(fmt::format("the quorum names '{}', which is not defined above", f[1]));
        }
        quorum = it->second;
      }
    } else {
      return fail(fmt::format("unknown keyword '{}' (log, witness, group, quorum)", f[0]));
    }
  }
  if (!have_quorum) return Error{"policy: no quorum line (write 'quorum none' for none)"};
  // Node indices: witnesses are 0..W-1, groups W.. (the map kept groups as negatives).
  const int w = static_cast<int>(p.witnesses_.size());
  auto node = [w](int v) { return v >= 0 ? v : w + (-v - 1); };
  for (Group& g : p.groups_) {
    for (int& m : g.members) m = node(m);
  }
  p.quorum_ = quorum ? node(*quorum) : -1;
  return p;
}

Result<Policy> Policy::Threshold(std::vector<CosignatureVerifier> witnesses, size_t k) {
  Policy p;
  std::set<std::string> public_keys;
  for (size_t i = 0; i < witnesses.size(); ++i) {
    std::string pk(reinterpret_cast<const char*>(witnesses[i].public_key().data()), 32);
    if (!public_keys.insert(pk).second) {
      return Error{fmt::format("witness key {} is given twice", witnesses[i].VerifierKey())};
    }
    p.witnesses_.push_back({witnesses[i].name(), std::move(witnesses[i]), ""});
  }
  if (p.witnesses_.empty()) {
    if (k != 0) return Error{"a quorum of witnesses needs --witness keys"};
    return p;
  }
  if (k < 1 || k > p.witnesses_.size()) {
    return Error{
        fmt::format("the quorum must be from 1 to {} (the witnesses given)", p.witnesses_.size())};
  }
  Group g;
  g.name = "quorum";
  g.k = k;
  for (size_t i = 0; i < p.witnesses_.size(); ++i) g.members.push_back(static_cast<int>(i));
  p.groups_.push_back(std::move(g));
  p.quorum_ = static_cast<int>(p.witnesses_.size());
  return p;
}

bool Policy::NodeMet(int node, const std::vector<bool>& witnessed) const {
  const int w = static_cast<int>(witnesses_.size());
  if (node < w) return witnessed[static_cast<size_t>(node)];
  const Group& g = groups_[static_cast<size_t>(node - w)];
  size_t count = 0;
  for (int m : g.members) count += NodeMet(m, witnessed) ? 1 : 0;
  return count >= g.k;
}

std::string Policy::NodeName(int node) const {
  const int w = static_cast<int>(witnesses_.size());
  return node < w ? witnesses_[static_cast<size_t>(node)].name
                  : groups_[static_cast<size_t>(node - w)].name;
}

bool Policy::Met(const std::set<std::string>& signed_by) const {
  if (quorum_ < 0) return true;
  std::vector<bool> witnessed(witnesses_.size());
  for (size_t i = 0; i < witnesses_.size(); ++i)
    witnessed[i] = signed_by.contains(witnesses_[i].name);
  return NodeMet(quorum_, witnessed);
}

QuorumCheck Policy::Check(const Note& note) const {
  QuorumCheck out;
  std::set<std::string> signed_by;
  for (const PolicyWitness& w : witnesses_) {
    Result<uint64_t> ts = w.key.VerifyNote(note);
    if (ts) {
      out.signed_by.push_back(w.name);
      out.timestamps.push_back(*ts);
      signed_by.insert(w.name);
    } else {
      out.missing.push_back(w.name);
    }
  }
  out.met = Met(signed_by);
  return out;
}

std::string Policy::Format() const {
  std::string out;
  for (const PolicyLog& l : logs_) {
    out += "log " + l.key.VerifierKey() + (l.url.empty() ? "" : " " + l.url) + "\n";
  }
  for (const PolicyWitness& w : witnesses_) {
    out +=
        "witness " + w.name + " " + w.key.VerifierKey() + (w.url.empty() ? "" : " " + w.url) + "\n";
  }
  for (const Group& g : groups_) {
    std::string k = g.k == g.members.size() ? "all" : g.k == 1 ? "any" : std::to_string(g.k);
    out += "group " + g.name + " " + k;
    for (int m : g.members) out += " " + NodeName(m);
    out += "\n";
  }
  out += "quorum " + (quorum_ < 0 ? std::string("none") : NodeName(quorum_)) + "\n";
  return out;
}

}  // namespace tuidang::tlog
