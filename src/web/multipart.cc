#include "web/multipart.h"

#include <algorithm>

namespace tuidang::web {

namespace {

constexpr size_t kMaxHeaderLine = 8192;
constexpr size_t kMaxHeadersPerPart = 16;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads the parameters after the first ';' of a header value ("form-data; name="a"").
// Values are tokens or quoted strings (a backslash escapes the next character). Returns
// false on an unterminated quoted string or a parameter without '='.
bool ReadParams(std::string_view v, std::vector<std::pair<std::string, std::string>>* out) {
  size_t i = v.find(';');
  while (i != std::string_view::npos && i < v.size()) {
    ++i;  // past ';'
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i == v.size()) break;
    size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) return false;
    std::string key;
    for (char c : Trim(v.substr(i, eq - i))) key += Lower(c);
    i = eq + 1;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '\\' && i < v.size()) {
          value += v[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return false;
      while (i < v.size() && v[i] != ';') {
        if (v[i] != ' ' && v[i] != '\t') return false;  // junk after the quoted string
        ++i;
      }
    } else {
      size_t end = v.find(';', i);
      value = std::string(Trim(v.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end;
    }
    out->emplace_back(std::move(key), std::move(value));
    if (i != std::string_view::npos && i < v.size() && v[i] != ';') return false;
  }
  return true;
}

bool IsBChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (!IEquals(type, "multipart/form-data")) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> params;
  if (!ReadParams(content_type, &params)) return std::nullopt;
  for (const auto& [k, v] : params) {
    if (k != "boundary") continue;
    if (v.empty() || v.size() > 70 || v.back() == ' ') return std::nullopt;
    if (!std::all_of(v.begin(), v.end(), IsBChar)) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                  std::string_view boundary) {
  if (boundary.empty()) return Error{"no boundary"};
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  if (!body.starts_with(delimiter)) return Error{"the body does not start with the boundary"};
  size_t pos = delimiter.size();
  std::vector<MultipartPart> parts;
  while (true) {
    // After a delimiter: "--" closes the body, CRLF starts a part.
    if (body.substr(pos).starts_with("--")) {
      std::string_view rest = body.substr(pos + 2);
      if (!rest.empty() && rest != "\r\n") return Error{"data after the closing boundary"};
      return parts;
    }
    if (!body.substr(pos).starts_with("\r\n")) return Error{"a boundary not followed by CRLF"};
    pos += 2;
    if (parts.size() == kMaxMultipartParts) return Error{"too many parts"};
    MultipartPart part;
    bool disposition = false;
    size_t headers = 0;
    while (true) {
      size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) return Error{"truncated part headers"};
      std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      if (line.size() > kMaxHeaderLine || ++headers > kMaxHeadersPerPart) {
        return Error{"part headers too long"};
      }
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return Error{"a header line without a name"};
      std::string_view name = line.substr(0, colon);
      std::string_view value = Trim(line.substr(colon + 1));
      if (IEquals(name, "content-disposition")) {
        if (disposition) return Error{"two Content-Disposition headers"};
        disposition = true;
        if (!IEquals(Trim(value.substr(0, value.find(';'))), "form-data")) {
          return Error{"a part that is not form-data"};
        }
        std::vector<std::pair<std::string, std::string>> params;
        if (!ReadParams(value, &params)) return Error{"a malformed Content-Disposition"};
        bool has_name = false;
        for (auto& [k, v] : params) {
          if (k == "name") {
            part.name = std::move(v);
            has_name = true;
          } else if (k == "filename") {
            part.filename = std::move(v);
          }
        }
        if (!has_name) return Error{"a part without a name"};
      } else if (IEquals(name, "content-type")) {
        part.content_type = std::string(value);
      }
    }
    if (!disposition) return Error{"a part without Content-Disposition"};
    size_t end = body.find(next_delimiter, pos);
    if (end == std::string_view::npos) return Error{"truncated: no closing boundary"};
    part.data = std::string(body.substr(pos, end - pos));
    parts.push_back(std::move(part));
    pos = end + next_delimiter.size();
  }
}

Form FieldsOf(const std::vector<MultipartPart>& parts) {
  std::string encoded;
  for (const auto& p : parts) {
    if (p.filename) continue;
    if (!encoded.empty()) encoded += '&';
    encoded += UrlEncode(p.name) + "=" + UrlEncode(p.data);
  }
  auto form = Form::Parse(encoded, kMaxMultipartParts);
  return form ? std::move(*form) : Form();
}

}  // namespace tuidang::web
