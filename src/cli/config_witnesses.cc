#include "cli/config_witnesses.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tlog/policy.h"

namespace tuidang {

namespace {

// The group that stands for "every witness" when no quorum line is given.
constexpr std::string_view kAllWitnesses = "all-witnesses";

bool HasQuorumLine(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos) continue;
    if (line.compare(i, 6, "quorum") == 0 &&
        (i + 6 == line.size() || line[i + 6] == ' ' || line[i + 6] == '\t')) {
      return true;
    }
  }
  return false;
}

bool IsField(std::string_view s) {
  return !s.empty() && s.find_first_of(" \t\n\r") == std::string_view::npos;
}

std::string ReadWitnessTables(const toml::node& n, const std::string& path, Config* c,
                              std::string* lines) {
  const toml::array* a = n.as_array();
  if (!a) return fmt::format("{}: 'witness' must be a list of [[witness]] tables", path);
  static const std::set<std::string> kKeys = {"name", "key", "url"};
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table* w = (*a)[i].as_table();
    if (!w) return fmt::format("{}: 'witness' must be a list of [[witness]] tables", path);
    Config::WitnessSetting s;
    for (const auto& [k, v] : *w) {
      std::string key(k.str());
      if (!kKeys.contains(key)) {
        return fmt::format("{}: [[witness]] number {}: unknown setting '{}' (name, key, url)", path,
                           i + 1, key);
      }
      auto value = v.value<std::string>();
      if (!value || !IsField(*value)) {
        return fmt::format("{}: [[witness]] number {}: '{}' must be a string without spaces", path,
                           i + 1, key);
      }
      (key == "name" ? s.name : key == "key" ? s.key : s.url) = *value;
    }
    for (const auto& [field, value] :
         {std::pair{"name", &s.name}, {"key", &s.key}, {"url", &s.url}}) {
      if (value->empty()) {
        return fmt::format("{}: [[witness]] number {} has no '{}'", path, i + 1, field);
      }
    }
    *lines += fmt::format("witness {} {} {}\n", s.name, s.key, s.url);
    c->witnesses.push_back(std::move(s));
  }
  return {};
}

std::string ReadWitnessingTable(const toml::node& n, const std::string& path, Config* c) {
  const toml::table* w = n.as_table();
  if (!w) return fmt::format("{}: 'witnessing' must be a table ([witnessing])", path);
  for (const auto& [k, v] : *w) {
    const std::string key(k.str());
    auto text = v.value<std::string>();
    auto number = v.value<int64_t>();
    auto bounded = [&](int64_t* out, int64_t lo, int64_t hi) -> std::string {
      if (!number || *number < lo || *number > hi) {
        return fmt::format("{}: [witnessing] {} must be a whole number from {} to {}", path, key,
                           lo, hi);
      }
      *out = *number;
      return {};
    };
    std::string error;
    if (key == "policy" || key == "policy_file") {
      if (!text) return fmt::format("{}: [witnessing] {} must be a string", path, key);
      (key == "policy" ? c->witness_policy : c->witness_policy_file) = *text;
    } else if (key == "publish") {
      if (!text || (*text != "at-once" && *text != "quorum")) {
        return fmt::format("{}: [witnessing] publish must be \"at-once\" or \"quorum\"", path);
      }
      c->witness_wait_for_quorum = *text == "quorum";
    } else if (key == "quorum_wait_seconds") {
      error = bounded(&c->witness_quorum_wait_seconds, 1, 24 * 3600);
    } else if (key == "timeout_seconds") {
      error = bounded(&c->witness_timeout_seconds, 1, 600);
    } else if (key == "retry_max_seconds") {
      error = bounded(&c->witness_retry_max_seconds, 1, 24 * 3600);
    } else {
      return fmt::format(
          "{}: unknown setting '{}' in [witnessing] (policy, policy_file, publish, "
          "quorum_wait_seconds, timeout_seconds, retry_max_seconds)",
          path, key);
    }
    if (!error.empty()) return error;
  }
  return {};
}

}  // namespace

std::string ReadWitnessing(const toml::table& t, const std::string& path, Config* c) {
  std::string text;
  if (auto n = t.get("witness")) {
    if (std::string e = ReadWitnessTables(*n, path, c, &text); !e.empty()) return e;
  }
  if (auto n = t.get("witnessing")) {
    if (std::string e = ReadWitnessingTable(*n, path, c); !e.empty()) return e;
  }
  if (!c->witness_policy_file.empty()) {
    std::filesystem::path file(c->witness_policy_file);
    if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return fmt::format("{}: [witnessing] policy_file: cannot read {}", path, file.string());
    }
    std::stringstream body;
    body << in.rdbuf();
    text += body.str();
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  text += c->witness_policy;
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (!HasQuorumLine(text)) {
    // Every witness must cosign: their names come from a parse with no quorum yet.
    auto names = tlog::Policy::Parse(text + "quorum none\n");
    if (names && !names->witnesses().empty()) {
      text += "group " + std::string(kAllWitnesses) + " all";
      for (const auto& w : names->witnesses()) text += " " + w.name;
      text += "\nquorum " + std::string(kAllWitnesses) + "\n";
    } else if (names) {
      text += "quorum none\n";
    }
  }
  auto policy = tlog::Policy::Parse(text);
  if (!policy) {
    return fmt::format(
        "{}: the witness policy (the [[witness]] tables, then [witnessing] policy_file, then "
        "policy): {}",
        path, policy.error());
  }
  for (const auto& w : policy->witnesses()) {
    if (!w.url.starts_with("http://") && !w.url.starts_with("https://")) {
      return fmt::format(
          "{}: witness '{}' has no http:// or https:// URL: the log cannot ask it for "
          "cosignatures",
          path, w.name);
    }
  }
  c->witness_policy_text = policy->Format();
  return {};
}

}  // namespace tuidang
