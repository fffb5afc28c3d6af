// The conversion of a sheet's bytes to UTF-8 (iconv), apart from csv_import.cc which
// detects the encoding and reads the rows.
#include <iconv.h>

#include <algorithm>
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

}  // namespace tuidang::intake
