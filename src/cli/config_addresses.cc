#include "cli/config_addresses.h"

#include <fmt/format.h>

#include <set>

namespace tuidang {

namespace {

// A version 3 onion address: base32 of 32 key bytes, 2 checksum bytes and the version byte
// 3 (rend-spec-v3 §6), so 56 characters from a-z and 2-7, the last one 'd' (the version's
// bits). The checksum (SHA3-256) is not verified: no Debian library the project uses has
// SHA3; a mistyped address fails to connect in Tor Browser, it reaches nobody else.
constexpr size_t kOnionChars = 56;

bool IsOnionHost(std::string_view host) {
  if (!host.ends_with(".onion")) return false;
  host.remove_suffix(6);
  if (host.size() != kOnionChars || host.back() != 'd') return false;
  for (char ch : host) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'))) return false;
  }
  return true;
}

bool IsPlainUrl(std::string_view url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return false;
  std::string_view rest = url.substr(url.find("://") + 3);
  if (rest.empty() || rest.front() == '/') return false;  // no host
  for (unsigned char ch : url) {
    if (ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '\'' || ch == '<' || ch == '>' ||
        ch == '\\' || ch == '`') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string NormalizeOnionAddress(std::string_view address) {
  std::string scheme = "http://";
  if (address.starts_with("http://")) {
    address.remove_prefix(7);
  } else if (address.starts_with("https://")) {
    scheme = "https://";
    address.remove_prefix(8);
  }
  if (address.ends_with("/")) address.remove_suffix(1);
  if (!IsOnionHost(address)) return {};
  return scheme + std::string(address) + "/";
}

std::string ReadCenterAddresses(const toml::table& table, const std::string& path, Config* c) {
  if (const toml::node* n = table.get("onion_address")) {
    auto v = n->value<std::string>();
    if (!v) return fmt::format("{}: 'onion_address' must be a string", path);
    if (!v->empty()) {
      c->onion_address = NormalizeOnionAddress(*v);
      if (c->onion_address.empty()) {
        return fmt::format(
            "{}: 'onion_address' must be a version 3 onion address (56 letters a-z and digits "
            "2-7, then .onion, as \"http://<address>.onion\"), not '{}'",
            path, *v);
      }
    }
  }
  if (const toml::node* n = table.get("site_mirrors")) {
    const toml::array* a = n->as_array();
    if (!a) return fmt::format("{}: 'site_mirrors' must be a list of URLs", path);
    if (a->size() > kMaxSiteMirrors) {
      return fmt::format("{}: 'site_mirrors' lists {} URLs, at most {}", path, a->size(),
                         kMaxSiteMirrors);
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < a->size(); ++i) {
      auto v = (*a)[i].value<std::string>();
      if (!v || v->size() > kMaxSiteMirrorUrl || !IsPlainUrl(*v)) {
        return fmt::format(
            "{}: 'site_mirrors' number {} must be an http:// or https:// URL of at most {} "
            "characters, without spaces, quotes or angle brackets",
            path, i + 1, kMaxSiteMirrorUrl);
      }
      if (!seen.insert(*v).second) {
        return fmt::format("{}: 'site_mirrors' lists {} twice", path, *v);
      }
      c->site_mirrors.push_back(*v);
    }
  }
  return {};
}

}  // namespace tuidang
