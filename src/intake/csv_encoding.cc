// The conversion of a sheet's bytes to UTF-8 (iconv), apart from csv_import.cc which
// detects the encoding and reads the rows.
#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "intake/csv_import.h"

namespace tuidang::intake {

Result<std::string> ToUtf8(std::string_view bytes, const std::string& encoding,
                           std::vector<int64_t>* bad_lines) {
  if (encoding == "UTF-8") {
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    return std::string(bytes);  // invalid bytes are found row by row
  }
  iconv_t cd = iconv_open("UTF-8", encoding.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return Error{"unsupported encoding " + encoding};
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* o = out.data();
  size_t o_left = out.size();
  // The line of a bad byte: newlines are counted once, from the previous bad byte on (from
  // the start each time made a file of bad bytes quadratic: 400 KB took 157 s).
  const char* counted = bytes.data();
  int64_t line = 1;
  while (in_left > 0) {
    size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      size_t used = o - out.data();
      out.resize(out.size() * 2);
      o = out.data() + used;
      o_left = out.size() - used;
      continue;
    }
    // EILSEQ or EINVAL (truncated at the end): one bad byte becomes U+FFFD.
    line += std::count(counted, static_cast<const char*>(in), '\n');
    counted = in;
    if (bad_lines->empty() || bad_lines->back() != line) bad_lines->push_back(line);
    if (o_left < 3) {
      size_t used = o - out.data();
      out.resize(out.size() * 2);
      o = out.data() + used;
      o_left = out.size() - used;
    }
    std::memcpy(o, "\xEF\xBF\xBD", 3);
    o += 3;
    o_left -= 3;
    ++in;
    --in_left;
  }
  iconv_close(cd);
  out.resize(o - out.data());
  if (out.starts_with("\xEF\xBB\xBF")) out.erase(0, 3);  // UTF-16's BOM, converted
  return out;
}

// How much more like real text `bytes` reads in GB18030 than in Big5: +1 for each
// double-byte character that falls among the frequent characters of one (GB2312 level 1:
// B0A1-D7FE; Big5 level 1: A440-C67E), -1 for one that falls among rare ones.
int64_t GbOverBig5(std::string_view bytes) {
  int64_t gb = 0, big5 = 0;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) {
    auto lead = static_cast<uint8_t>(bytes[i]);
    if (lead < 0x81) continue;
    auto trail = static_cast<uint8_t>(bytes[i + 1]);
    unsigned code = lead << 8 | trail;
    if (lead >= 0xB0 && lead <= 0xD7 && trail >= 0xA1) ++gb;
    else if (!(lead >= 0xA1 && lead <= 0xA9)) --gb;
    if (code >= 0xA440 && code <= 0xC67E) ++big5;
    else if (!(lead >= 0xA1 && lead <= 0xA3)) --big5;
    ++i;
  }
  return gb - big5;
}

std::string CanonicalEncoding(std::string_view name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n == "UTF8" || n == "UTF-8") return "UTF-8";
  if (n == "GB18030" || n == "GBK" || n == "GB2312" || n == "CP936") return "GB18030";
  if (n == "BIG5" || n == "BIG-5" || n == "CP950" || n == "BIG5-HKSCS") return "BIG5-HKSCS";
  if (n == "UTF-16" || n == "UTF16" || n == "UTF-16LE" || n == "UTF-16BE") return "UTF-16";
  return "";
}

}  // namespace tuidang::intake
