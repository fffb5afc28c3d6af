#include "web/form.h"

#include <algorithm>
#include <set>

namespace tuidang::web {

namespace {
int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<Form> Form::Parse(std::string_view encoded, size_t max_fields) {
  Form f;
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t end = encoded.find('&', pos);
    if (end == std::string_view::npos) end = encoded.size();
    std::string_view pair = encoded.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    if (f.fields_.size() >= max_fields) return Error{"too many fields"};
    size_t eq = pair.find('=');
    auto name = UrlDecode(pair.substr(0, eq));
    auto value = UrlDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!name || !value) return Error{"malformed percent escape"};
    f.fields_.emplace_back(std::move(*name), std::move(*value));
  }
  return f;
}

std::optional<std::string_view> Form::Get(std::string_view name) const {
  for (const auto& [k, v] : fields_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Form::GetOr(std::string_view name, std::string_view fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

std::vector<std::string_view> Form::All(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : fields_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

size_t Form::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [&](const auto& kv) { return kv.first == name; }));
}

std::optional<std::string> Form::FirstDuplicate(bool (*repeatable)(std::string_view)) const {
  std::set<std::string_view> seen;
  for (const auto& [k, v] : fields_) {
    if (repeatable(k)) continue;
    if (!seen.insert(k).second) return k;
  }
  return std::nullopt;
}

}  // namespace tuidang::web
