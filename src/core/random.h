// Random words and bytes from a per-thread pool that libsodium's CSPRNG refills 1 KiB at a
// time: receipts need two draws each and every published statement a salt, and a system
// call per draw was a visible share of a busy server's and an import's time. Bytes handed
// out are wiped from the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tuidang {

// A uniformly random 32-bit word.
uint32_t RandomWord();
// Uniform in [0, bound), without modulo bias (as randombytes_uniform). REQUIRES: bound > 0.
uint32_t RandomUniform(uint32_t bound);
// `n` random bytes.
std::string RandomBytes(size_t n);

}  // namespace tuidang
