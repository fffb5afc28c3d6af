#include "safety/flood.h"

#include <sodium.h>
#include <utf8proc.h>

#include "core/text.h"

namespace tuidang::safety {

namespace {

// A group label from content that is stored beside the held statement anyway: an unkeyed
// hash, so one flood keeps one group across hours and restarts.
std::string GroupOf(std::string_view reason, std::string_view content) {
  uint8_t h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const uint8_t*>(content.data()), content.size(),
                     nullptr, 0);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string(reason) + ":" + hex;
}

// The name with every run of digits replaced by '#': "张伟123" and "张伟9" share it.
std::string Skeleton(std::string_view folded) {
  std::string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(folded.size());
  bool in_digits = false;
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) break;
    if (utf8proc_category(c) == UTF8PROC_CATEGORY_ND) {
      if (!in_digits) out += '#';
      in_digits = true;
    } else {
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
      in_digits = false;
    }
    p += n;
    left -= n;
  }
  return out;
}

}  // namespace

bool LooksGenerated(std::string_view name) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(name.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(name.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) return false;
    if (utf8proc_category(c) == UTF8PROC_CATEGORY_ND) return true;
    p += n;
    left -= n;
  }
  return false;
}

std::string NormaliseForFlood(std::string_view text) {
  std::string folded = FoldName(text);
  std::string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(folded.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) break;
    auto cat = utf8proc_category(c);
    bool keep = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
                cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
                cat == UTF8PROC_CATEGORY_LO;
    if (keep) out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    left -= n;
  }
  return out;
}

FloodDetector::FloodDetector(FloodOptions options, KeyedHasher* hasher)
    : options_(options), hasher_(hasher) {}

int64_t FloodDetector::Bump(const ClientKey& k) {
  if (k.epoch < epoch_) return 0;  // hashed under the key that just rotated away
  if (k.epoch != epoch_) {
    counts_.clear();
    burst_ids_.clear();
    epoch_ = k.epoch;
  }
  return ++counts_[Key{k.hash}];
}

FloodVerdict FloodDetector::Assess(const Statement& s, const std::optional<ClientKey>& client) {
  FloodVerdict v;
  auto hold = [&v](std::string reason, std::string group) {
    if (v.hold) return;  // the first reason found is the one filed
    v.hold = true;
    v.reason = std::move(reason);
    v.group = std::move(group);
  };
  // Hashes are computed outside the lock (they take the hasher's own lock).
  std::string folded_name = s.persons.empty() ? std::string() : FoldName(s.persons[0].name);
  std::string text = NormaliseForFlood(s.text);
  size_t text_chars = 0;
  for (unsigned char c : text) text_chars += (c & 0xC0) != 0x80;
  ClientKey name_key = hasher_->Hash("flood-name", folded_name);
  ClientKey text_key = hasher_->Hash("flood-text", text);

  for (const auto& p : s.persons) {
    if (LooksGenerated(p.name)) {
      hold("generated_name", GroupOf("generated_name", Skeleton(FoldName(p.name))));
      break;
    }
  }
  MutexLock lock(&mu_);
  if (text_chars >= kMinText && Bump(text_key) >= options_.text_repeats) {
    hold("duplicate_text", GroupOf("duplicate_text", text));
  }
  if (!folded_name.empty() && Bump(name_key) >= options_.name_repeats) {
    hold("repeated_name", GroupOf("repeated_name", folded_name));
  }
  if (client) {
    ClientKey k = *client;
    if (Bump(k) > options_.burst) {
      // One random label per client and hour: the queue can show the burst as one group,
      // and the label tells nothing about the client.
      std::string& id = burst_ids_[Key{k.hash}];
      if (id.empty()) {
        uint8_t r[8];
        randombytes_buf(r, sizeof r);
        char hex[17];
        sodium_bin2hex(hex, sizeof hex, r, sizeof r);
        id = std::string("burst:") + hex;
      }
      hold("burst", id);
    }
  }
  return v;
}

}  // namespace tuidang::safety
