// The urlencoded form and query decoder (src/web/form.cc).
#include <string_view>

#include "web/form.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto form = tuidang::web::Form::Parse(in);
  if (form) {
    (void)form->Get("name");
    (void)form->All("org");
    (void)form->FirstDuplicate([](std::string_view) { return false; });
  }
  (void)tuidang::web::UrlDecode(in);
  return 0;
}
