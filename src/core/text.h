// Unicode text rules for everything a declarant types: strict UTF-8, NFC normalisation,
// and the folding under which names are compared (DESIGN.md, "Languages").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tuidang {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// NFC form of valid UTF-8 `s`. REQUIRES: IsValidUtf8(s).
std::string Nfc(std::string_view s);

// `s` without leading and trailing Unicode white space (including U+3000, the ideographic
// space that Chinese input methods produce). REQUIRES: IsValidUtf8(s).
std::string_view TrimSpace(std::string_view s);

// Number of code points. REQUIRES: IsValidUtf8(s).
size_t CountCodePoints(std::string_view s);

// What a field may contain. Single-line fields refuse every control and format character
// (including bidirectional overrides that could disguise a name); multi-line text allows
// line feeds and tabs.
enum class TextKind { kSingleLine, kMultiLine };
// True when `s` has a character that `kind` refuses. REQUIRES: IsValidUtf8(s).
bool HasForbiddenCharacter(std::string_view s, TextKind kind);

// Replaces CR LF and lone CR by LF.
std::string NormalizeNewlines(std::string_view s);

// The key under which names are compared: NFC, Traditional folded to Simplified character
// by character (OpenCC t2s, tabulated once per process), then case folded, so that 萬順 and
// 万顺 (or "Li Hua" and "li hua") meet. Thread-safe. REQUIRES: IsValidUtf8(s).
std::string FoldName(std::string_view s);

// HTML-escapes `s` for element content and attribute values.
std::string HtmlEscape(std::string_view s);
// Appends the HTML-escaped `s` to `*out`.
void AppendHtmlEscaped(std::string* out, std::string_view s);

// Lower-case hexadecimal of `bytes` (libsodium's sodium_bin2hex), two digits a byte.
std::string HexEncode(std::string_view bytes);

}  // namespace tuidang
