// The configuration file (src/cli/config.cc, toml++).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "cli/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string path = "/tmp/tuidang-fuzz-config-" + std::to_string(getpid()) + ".toml";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  (void)tuidang::LoadConfig(path);
  return 0;
}
