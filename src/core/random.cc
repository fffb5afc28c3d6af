#include "core/random.h"

#include <algorithm>
#include <cstring>

#include <sodium.h>

namespace tuidang {

namespace {

class Pool {
 public:
  // Copies `n` bytes out, refilling from the system as often as needed.
  void Take(void* out, size_t n) {
    auto* dst = static_cast<unsigned char*>(out);
    while (n > 0) {
      if (next_ == kBytes) {
        randombytes_buf(bytes_, sizeof bytes_);
        next_ = 0;
      }
      size_t k = std::min(n, kBytes - next_);
      std::memcpy(dst, bytes_ + next_, k);
      sodium_memzero(bytes_ + next_, k);
      next_ += k;
      dst += k;
      n -= k;
    }
  }

 private:
  static constexpr size_t kBytes = 1024;
  unsigned char bytes_[kBytes];
  size_t next_ = kBytes;
};

Pool& ThreadPool() {
  thread_local Pool pool;
  return pool;
}

}  // namespace

uint32_t RandomWord() {
  uint32_t v;
  ThreadPool().Take(&v, sizeof v);
  return v;
}

uint32_t RandomUniform(uint32_t bound) {
  const uint32_t min = (1U + ~bound) % bound;  // 2^32 mod bound: the values that would bias
  uint32_t v;
  do v = RandomWord();
  while (v < min);
  return v % bound;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  ThreadPool().Take(out.data(), n);
  return out;
}

}  // namespace tuidang
