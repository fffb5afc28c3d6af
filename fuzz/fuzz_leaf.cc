// Leaf decoding (src/core/leaf.cc): entries come from mirrors an auditor does not trust.
#include <string_view>

#include "core/leaf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)tuidang::DecodeLeaf(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
