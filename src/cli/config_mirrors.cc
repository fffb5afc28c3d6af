#include "cli/config_mirrors.h"

#include <fmt/format.h>

#include <set>

#include "tlog/cosignature.h"

namespace tuidang {

std::string ReadMirrors(const toml::table& table, const std::string& path, Config* c) {
  const toml::node* n = table.get("mirror");
  if (n == nullptr) return {};
  const toml::array* a = n->as_array();
  if (!a) return fmt::format("{}: 'mirror' must be a list of [[mirror]] tables", path);
  static const std::set<std::string> kKeys = {"name", "key", "url", "monitoring_url"};
  std::set<std::string> names, keys;
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table* m = (*a)[i].as_table();
    if (!m) return fmt::format("{}: 'mirror' must be a list of [[mirror]] tables", path);
    Config::MirrorSetting s;
    for (const auto& [k, v] : *m) {
      const std::string key(k.str());
      if (!kKeys.contains(key)) {
        return fmt::format(
            "{}: [[mirror]] number {}: unknown setting '{}' (name, key, url, monitoring_url)", path,
            i + 1, key);
      }
      auto value = v.value<std::string>();
      if (!value || value->empty() || value->find_first_of(" \t\r\n") != std::string::npos) {
        return fmt::format("{}: [[mirror]] number {}: '{}' must be a string without spaces", path,
                           i + 1, key);
      }
      (key == "name"  ? s.name
       : key == "key" ? s.key
       : key == "url" ? s.url
                      : s.monitoring_url) = *value;
    }
    for (const auto& [field, value] :
         {std::pair{"name", &s.name}, {"key", &s.key}, {"url", &s.url}}) {
      if (value->empty()) {
        return fmt::format("{}: [[mirror]] number {} has no '{}'", path, i + 1, field);
      }
    }
    if (auto key = tlog::CosignatureVerifier::Parse(s.key); !key) {
      return fmt::format("{}: [[mirror]] {}: key is not a cosignature verifier key: {}", path,
                         s.name, key.error());
    }
    if (!s.url.starts_with("http://") && !s.url.starts_with("https://")) {
      return fmt::format("{}: [[mirror]] {}: url must start with http:// or https://", path,
                         s.name);
    }
    if (!s.monitoring_url.empty() && !s.monitoring_url.starts_with("http://") &&
        !s.monitoring_url.starts_with("https://")) {
      return fmt::format("{}: [[mirror]] {}: monitoring_url must start with http:// or https://",
                         path, s.name);
    }
    if (!names.insert(s.name).second || !keys.insert(s.key).second) {
      return fmt::format("{}: [[mirror]] {}: the same name or key is listed twice", path, s.name);
    }
    c->mirrors.push_back(std::move(s));
  }
  return {};
}

}  // namespace tuidang
