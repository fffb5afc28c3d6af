#include "safety/sealed_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tuidang::safety {
namespace {

using State = crypto_secretstream_xchacha20poly1305_state;
constexpr size_t kHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kKeyBytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
constexpr size_t kSealedKeyBytes = kKeyBytes + crypto_box_SEALBYTES;
constexpr size_t kChunkOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;

Status WriteAll(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Status::Fail(std::string("cannot write: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Reads exactly n bytes; returns how many were read before the end of the file (n unless
// it ended first), or an error.
Result<size_t> ReadAll(int fd, void* data, size_t n) {
  auto* p = static_cast<unsigned char*>(data);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error{std::string("cannot read: ") + std::strerror(errno)};
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

State* NewState() { return static_cast<State*>(sodium_malloc(sizeof(State))); }

}  // namespace

Result<SealedWriter> SealedWriter::Start(const OfficePublicKey& key, int fd) {
  SealedWriter w(fd);
  w.state_ = NewState();
  if (!w.state_) return Error{"out of memory"};
  unsigned char* k = static_cast<unsigned char*>(sodium_malloc(kKeyBytes));
  if (!k) return Error{"out of memory"};
  crypto_secretstream_xchacha20poly1305_keygen(k);
  std::string sealed = Seal(key, std::string_view(reinterpret_cast<char*>(k), kKeyBytes));
  unsigned char header[kHeaderBytes];
  int rc = crypto_secretstream_xchacha20poly1305_init_push(w.state_, header, k);
  sodium_free(k);
  if (rc != 0 || sealed.size() != kSealedKeyBytes) return Error{"cannot start the stream"};
  if (Status s = WriteAll(fd, kSealedStreamMagic.data(), kSealedStreamMagic.size()); !s) {
    return Error{s.message()};
  }
  if (Status s = WriteAll(fd, sealed.data(), sealed.size()); !s) return Error{s.message()};
  if (Status s = WriteAll(fd, header, sizeof header); !s) return Error{s.message()};
  w.buffer_.reserve(kSealedChunkBytes);
  return w;
}

SealedWriter::SealedWriter(SealedWriter&& o) noexcept
    : fd_(o.fd_), state_(o.state_), buffer_(std::move(o.buffer_)), finished_(o.finished_) {
  o.state_ = nullptr;
}

SealedWriter::~SealedWriter() {
  if (state_) sodium_free(state_);
}

Status SealedWriter::Flush(bool final) {
  std::string out(4 + buffer_.size() + kChunkOverhead, '\0');
  unsigned long long len = 0;
  unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                            : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  if (crypto_secretstream_xchacha20poly1305_push(
          state_, reinterpret_cast<unsigned char*>(out.data() + 4), &len,
          reinterpret_cast<const unsigned char*>(buffer_.data()), buffer_.size(), nullptr, 0,
          tag) != 0) {
    return Status::Fail("cannot encrypt");
  }
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  buffer_.clear();
  return WriteAll(fd_, out.data(), 4 + static_cast<size_t>(len));
}

Status SealedWriter::Write(std::string_view bytes) {
  if (finished_) return Status::Fail("the stream is finished");
  while (!bytes.empty()) {
    size_t take = std::min(bytes.size(), kSealedChunkBytes - buffer_.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() == kSealedChunkBytes) {
      if (Status s = Flush(false); !s) return s;
    }
  }
  return Status::Ok();
}

Status SealedWriter::Finish() {
  if (finished_) return Status::Fail("the stream is finished");
  finished_ = true;
  return Flush(true);
}

Result<SealedReader> SealedReader::Start(const OfficeSecretKey& key, int fd) {
  std::string magic(kSealedStreamMagic.size(), '\0');
  auto got = ReadAll(fd, magic.data(), magic.size());
  if (!got) return Error{got.error()};
  if (*got != magic.size() || magic != kSealedStreamMagic) {
    return Error{"not a tuidang backup (it does not start with tuidang-sealed-stream-v1)"};
  }
  std::string sealed(kSealedKeyBytes, '\0');
  unsigned char header[kHeaderBytes];
  got = ReadAll(fd, sealed.data(), sealed.size());
  if (!got) return Error{got.error()};
  if (*got != sealed.size()) return Error{"the file is cut short"};
  got = ReadAll(fd, header, sizeof header);
  if (!got) return Error{got.error()};
  if (*got != sizeof header) return Error{"the file is cut short"};
  auto k = key.Open(sealed);
  if (!k) return Error{"it was not made for this office key, or its key is damaged"};
  SealedReader r(fd);
  r.state_ = NewState();
  if (!r.state_) return Error{"out of memory"};
  int rc = crypto_secretstream_xchacha20poly1305_init_pull(
      r.state_, header, reinterpret_cast<const unsigned char*>(k->data()));
  sodium_memzero(k->data(), k->size());
  if (rc != 0) return Error{"its stream header is damaged"};
  return r;
}

SealedReader::SealedReader(SealedReader&& o) noexcept
    : fd_(o.fd_), state_(o.state_), final_(o.final_) {
  o.state_ = nullptr;
}

SealedReader::~SealedReader() {
  if (state_) sodium_free(state_);
}

Result<std::optional<std::string>> SealedReader::Next() {
  unsigned char len_bytes[4];
  auto got = ReadAll(fd_, len_bytes, 4);
  if (!got) return Error{got.error()};
  if (final_) {
    if (*got != 0) return Error{"something was appended after its end"};
    return std::optional<std::string>();
  }
  if (*got != 4) return Error{"the file is cut short (it has no end)"};
  size_t len = (size_t{len_bytes[0]} << 24) | (size_t{len_bytes[1]} << 16) |
               (size_t{len_bytes[2]} << 8) | size_t{len_bytes[3]};
  if (len < kChunkOverhead || len > kSealedChunkBytes + kChunkOverhead) {
    return Error{"the file is damaged (a chunk of impossible length)"};
  }
  std::string cipher(len, '\0');
  got = ReadAll(fd_, cipher.data(), len);
  if (!got) return Error{got.error()};
  if (*got != len) return Error{"the file is cut short (it has no end)"};
  std::string plain(len - kChunkOverhead, '\0');
  unsigned long long plain_len = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          state_, reinterpret_cast<unsigned char*>(plain.data()), &plain_len, &tag,
          reinterpret_cast<const unsigned char*>(cipher.data()), len, nullptr, 0) != 0) {
    return Error{"the file is damaged or was changed"};
  }
  plain.resize(static_cast<size_t>(plain_len));
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    final_ = true;
  } else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    return Error{"the file is damaged (an unknown chunk)"};
  }
  return std::optional<std::string>(std::move(plain));
}

}  // namespace tuidang::safety
