// The console's multipart/form-data parser (src/web/multipart.cc): the first line of the
// input is the Content-Type, the rest the body.
#include <string_view>

#include "web/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t eol = in.find('\n');
  std::string_view type = in.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  auto boundary = tuidang::web::MultipartBoundary(type);
  auto parts = tuidang::web::ParseMultipart(body, boundary ? *boundary : std::string_view("b"));
  if (parts) (void)tuidang::web::FieldsOf(*parts);
  return 0;
}
