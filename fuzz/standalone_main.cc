// A driver for the fuzz targets in builds without libFuzzer (gcc): runs every file given
// (or every file in the folders given), then `-runs=N` deterministic mutations of them
// (bit flips, truncations, splices, byte insertions). ctest uses it so that every build
// exercises every parser on its seed corpus; the clang build (-DTUIDANG_FUZZ=ON) links
// libFuzzer instead.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  long runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0) {
      runs = std::atol(a.c_str() + 6);
      continue;
    }
    if (a[0] == '-') continue;  // other libFuzzer flags are ignored here
    auto add = [&](const std::filesystem::path& p) {
      std::ifstream in(p, std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a)) add(e.path());
    } else {
      add(a);
    }
  }
  if (inputs.empty()) inputs.emplace_back();
  for (const auto& s : inputs) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::mt19937_64 rng(12345);
  for (long r = 0; r < runs; ++r) {
    std::string s = inputs[rng() % inputs.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 1:
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 2:
          s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % s.size()),
                   static_cast<char>(rng() % 256));
          break;
        case 3: {
          const std::string& o = inputs[rng() % inputs.size()];
          if (!o.empty()) s += o.substr(rng() % o.size());
        } break;
        case 4:
          if (s.size() > 1) {
            size_t a = rng() % s.size(), b = rng() % s.size();
            std::swap(s[a], s[b]);
          }
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("%zu inputs, %ld mutations: no crash\n", inputs.size(), runs);
  return 0;
}
