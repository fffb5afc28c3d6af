// A stream of bytes encrypted to the office public key (seal.h), so that only the holder of
// the offline office secret key can read it: what `tuidang backup` writes (docs/backup.md).
//
// Format: the line "tuidang-sealed-stream-v1\n"; the sealed box (crypto_box_seal, 80
// bytes) of a fresh 32-byte key; the 24-byte header of libsodium's
// crypto_secretstream_xchacha20poly1305 under that key; then chunks, each a 4-byte
// big-endian length and that many bytes of ciphertext (at most kSealedChunkBytes of
// plaintext plus 17). Only the last chunk carries the FINAL tag. libsodium authenticates
// every chunk and their order, so a changed, dropped, reordered or appended chunk, and a
// stream cut anywhere (no FINAL chunk), are all refused.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sodium.h>

#include "core/result.h"
#include "safety/seal.h"

namespace tuidang::safety {

inline constexpr std::string_view kSealedStreamMagic = "tuidang-sealed-stream-v1\n";
// Plaintext per chunk: large enough that the 21 bytes a chunk adds do not matter, small
// enough that a reader never holds much in memory.
inline constexpr size_t kSealedChunkBytes = 1 << 16;

// Writes to a file descriptor it does not own. Not thread-safe.
class SealedWriter {
 public:
  // Writes the magic line, the sealed key and the stream header to `fd`.
  // REQUIRES: sodium_init() was called.
  static Result<SealedWriter> Start(const OfficePublicKey& key, int fd);
  SealedWriter(SealedWriter&& o) noexcept;
  SealedWriter& operator=(SealedWriter&&) = delete;
  ~SealedWriter();
  // Appends `bytes`; full chunks are written at once.
  Status Write(std::string_view bytes);
  // Writes what is buffered as the FINAL chunk. Nothing may be written after it; a stream
  // never finished is refused by its reader.
  Status Finish();

 private:
  SealedWriter(int fd) : fd_(fd) {}
  Status Flush(bool final);
  int fd_;
  crypto_secretstream_xchacha20poly1305_state* state_ = nullptr;  // sodium_malloc'd
  std::string buffer_;
  bool finished_ = false;
};

// Reads what SealedWriter wrote from a file descriptor it does not own. Not thread-safe.
class SealedReader {
 public:
  // Reads and checks the magic line, opens the sealed key with `key` (an error when the
  // stream was sealed to another key) and reads the stream header.
  static Result<SealedReader> Start(const OfficeSecretKey& key, int fd);
  SealedReader(SealedReader&& o) noexcept;
  SealedReader& operator=(SealedReader&&) = delete;
  ~SealedReader();
  // The next chunk's plaintext, or nullopt once the FINAL chunk has been read and nothing
  // follows it. An error for a damaged, cut or lengthened stream.
  Result<std::optional<std::string>> Next();

 private:
  SealedReader(int fd) : fd_(fd) {}
  int fd_;
  crypto_secretstream_xchacha20poly1305_state* state_ = nullptr;  // sodium_malloc'd
  bool final_ = false;
};

}  // namespace tuidang::safety
