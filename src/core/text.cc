#include "core/text.h"

#include <cstdlib>
#include <memory>

#include <opencc/opencc.h>
#include <utf8proc.h>

namespace tuidang {

namespace {

// Decodes one code point at s[*i], advancing *i. REQUIRES: valid UTF-8.
char32_t Next(std::string_view s, size_t* i) {
  utf8proc_int32_t cp = 0;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()) + *i,
                            static_cast<utf8proc_ssize_t>(s.size() - *i), &cp);
  *i += n > 0 ? static_cast<size_t>(n) : 1;
  return static_cast<char32_t>(cp);
}

bool IsSpace(char32_t c) {
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == 0x0C) return true;
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_ZS || c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF ||
         c == 0x200B;
}

// An OpenCC handle per thread: OpenCC does not document its converters as thread-safe.
class T2S {
 public:
  T2S() : handle_(opencc_open("t2s.json")) {}
  ~T2S() {
    if (handle_ != reinterpret_cast<opencc_t>(-1)) opencc_close(handle_);
  }
  std::string Convert(std::string_view s) {
    if (handle_ == reinterpret_cast<opencc_t>(-1)) return std::string(s);
    char* out = opencc_convert_utf8(handle_, s.data(), s.size());
    if (out == nullptr) return std::string(s);
    std::string result(out);
    opencc_convert_utf8_free(out);
    return result;
  }
  bool ok() const { return handle_ != reinterpret_cast<opencc_t>(-1); }

 private:
  opencc_t handle_;
};

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {  // ASCII fast path
      ++i;
      continue;
    }
    utf8proc_int32_t cp;
    auto n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0 || cp < 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

std::string Nfc(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  if (ascii) return std::string(s);
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                        static_cast<utf8proc_ssize_t>(s.size()), &out,
                        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return std::string(s);
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

std::string_view TrimSpace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t j = begin;
    if (!IsSpace(Next(s, &j))) break;
    begin = j;
  }
  size_t end = begin, i = begin;
  while (i < s.size()) {
    char32_t c = Next(s, &i);
    if (!IsSpace(c)) end = i;
  }
  return s.substr(begin, end - begin);
}

size_t CountCodePoints(std::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) count += (c & 0xC0) != 0x80;
  return count;
}

bool HasForbiddenCharacter(std::string_view s, TextKind kind) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t c = Next(s, &i);
    if (kind == TextKind::kMultiLine && (c == '\n' || c == '\t')) continue;
    auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CS ||
        cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CN) {
      return true;
    }
    if (cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) return true;
    if (cat == UTF8PROC_CATEGORY_CF) {
      // Zero-width joiners are part of some scripts; everything else invisible is refused
      // in names, and bidirectional controls are refused everywhere.
      bool bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
                  c == 0x200E || c == 0x200F || c == 0x061C;
      if (bidi) return true;
      if (kind == TextKind::kSingleLine && c != 0x200D && c != 0x200C) return true;
    }
  }
  return false;
}

std::string NormalizeNewlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string FoldName(std::string_view s) {
  thread_local T2S t2s;
  std::string simplified = t2s.Convert(Nfc(s));
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(simplified.data()),
                        static_cast<utf8proc_ssize_t>(simplified.size()), &out,
                        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                       UTF8PROC_CASEFOLD));
  if (n < 0) return simplified;
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

void AppendHtmlEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&#39;"); break;
      default: out->push_back(c);
    }
  }
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendHtmlEscaped(&out, s);
  return out;
}

}  // namespace tuidang
