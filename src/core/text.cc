#include "core/text.h"

#include <sodium.h>

#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

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
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CS || cat == UTF8PROC_CATEGORY_CO ||
        cat == UTF8PROC_CATEGORY_CN) {
      return true;
    }
    if (cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) return true;
    if (cat == UTF8PROC_CATEGORY_CF) {
      // Zero-width joiners are part of some scripts; everything else invisible is refused
      // in names, and bidirectional controls are refused everywhere.
      bool bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
                  c == 0x200F || c == 0x061C;
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

namespace {
// OpenCC's Traditional-to-Simplified conversion (t2s) of every CJK character on its own,
// computed once per process through OpenCC itself (one call over all of them, a line
// each). Folding a name then costs a table look-up per character instead of OpenCC's
// phrase segmentation and trie searches, which took about 8% of a web submission's CPU
// time (docs/performance.md). Names are converted character by character: OpenCC's phrase
// table (乾隆 keeps its 乾) is for running text, not for names.
class T2sTable {
 public:
  T2sTable() {
    std::vector<char32_t> cps;
    std::string all;
    auto add = [&](char32_t lo, char32_t hi) {
      for (char32_t c = lo; c <= hi; ++c) {
        utf8proc_uint8_t buf[4];
        auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
        all.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
        all.push_back('\n');
        cps.push_back(c);
      }
    };
    add(0x2E80, 0x2FDF);    // radicals
    add(0x3000, 0x9FFF);    // CJK symbols, kana, extension A, unified ideographs
    add(0xF900, 0xFAFF);    // compatibility ideographs
    add(0x20000, 0x2FA1F);  // extensions B to F, compatibility supplement
    T2S t2s;
    if (!t2s.ok()) return;
    std::string out = t2s.Convert(all);
    std::string_view rest(out);
    for (char32_t c : cps) {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        map_.clear();
        return;  // not one line per character: keep converting whole names
      }
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      size_t i = 0;
      if (line.empty() || Next(line, &i) != c || i != line.size()) map_.emplace(c, line);
    }
    ok_ = rest.empty();
    if (!ok_) map_.clear();
  }
  bool ok() const { return ok_; }
  // Appends the simplified form of `s`. REQUIRES: ok(), valid UTF-8.
  void Convert(std::string_view s, std::string* out) const {
    size_t i = 0;
    while (i < s.size()) {
      size_t start = i;
      char32_t c = Next(s, &i);
      if (c >= 0x2E80) {
        if (auto it = map_.find(c); it != map_.end()) {
          out->append(it->second);
          continue;
        }
      }
      out->append(s.substr(start, i - start));
    }
  }

 private:
  std::unordered_map<char32_t, std::string> map_;
  bool ok_ = false;
};

// Whether `s` holds a CJK compatibility ideograph (U+F900..U+FAFF, U+2F800..U+2FA1F): the
// only characters that canonical composition maps onto ideographs OpenCC converts, so the
// only reason to normalise before converting (the fold composes afterwards anyway).
bool HasCompatibilityIdeograph(std::string_view s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xEF && b1 >= 0xA4 && b1 <= 0xAB) return true;  // U+F900..U+FAFF
    if (b0 == 0xF0 && b1 == 0xAF) {
      auto b2 = static_cast<unsigned char>(s[i + 2]);
      if (b2 >= 0xA0 && b2 <= 0xA8) return true;  // U+2F800..U+2FA3F (a superset)
    }
  }
  return false;
}
}  // namespace

std::string FoldName(std::string_view s) {
  static const T2sTable table;  // built on first use, thread-safe, read-only after
  std::string normalized;
  if (HasCompatibilityIdeograph(s)) {
    normalized = Nfc(s);
    s = normalized;
  }
  std::string simplified;
  if (table.ok()) {
    simplified.reserve(s.size());
    table.Convert(s, &simplified);
  } else {
    thread_local T2S t2s;
    simplified = t2s.Convert(s);
  }
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(simplified.data()),
      static_cast<utf8proc_ssize_t>(simplified.size()), &out,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD));
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

std::string HexEncode(std::string_view bytes) {
  std::string out(2 * bytes.size() + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();  // the terminating NUL
  return out;
}

}  // namespace tuidang
