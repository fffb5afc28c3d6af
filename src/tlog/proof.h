// C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline-verifiable proof that an entry is
// in the log, in one text file:
//
//   c2sp.org/tlog-proof@v1
//   [extra <base64 opaque data>]
//   index <leaf index>
//   <base64 inclusion proof hash, leaf's sibling first>
//   ...
//   <blank line>
//   <signed checkpoint, verbatim>
//
// The receipt page offers it for download; anyone holding the log's verifier key checks it
// without contacting the log. All functions are thread-safe except through `reader`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tlog/checkpoint.h"
#include "tlog/hash.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace tuidang::tlog {

inline constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
// An inclusion proof has at most one hash per tree level.
inline constexpr size_t kMaxInclusionProofSize = 64;

struct TlogProof {
  std::optional<std::string> extra;  // opaque bytes; not authenticated, never to be trusted
  uint64_t index = 0;
  std::vector<Hash> inclusion;  // from the leaf's sibling up to the root's child
  std::string checkpoint;       // the signed checkpoint note, verbatim

  bool operator==(const TlogProof&) const = default;
};

std::string FormatTlogProof(const TlogProof& proof);

// Inverse of FormatTlogProof, strict: the exact header line; an optional "extra " line in
// canonical base64; "index " and a decimal with no leading zero; at most
// kMaxInclusionProofSize canonical base64 hashes; a blank line; then a signed note (ParseNote)
// whose text is a checkpoint (ParseCheckpoint). Signatures are not checked here.
Result<TlogProof> ParseTlogProof(std::string_view text);

// The proof for leaf `index` in the tree of `signed_checkpoint` (the note served at
// <prefix>/checkpoint), with hashes from `reader`. Checks the result against the checkpoint's
// root, so a store out of step with its checkpoint yields an error rather than a bad proof.
// Fails also if the checkpoint is malformed or index >= its size.
Result<TlogProof> MakeTlogProof(HashReader& reader, uint64_t index,
                                std::string_view signed_checkpoint,
                                std::optional<std::string> extra = std::nullopt);

// Verifies `proof` offline for an entry whose leaf hash is `leaf_hash`: the checkpoint must
// be signed by one of `log_keys` (other signatures, such as witnesses', are ignored) and
// carry `origin`, and the inclusion proof must lead from the leaf to its root. Returns the
// checkpoint.
Result<Checkpoint> VerifyTlogProof(const TlogProof& proof, const Hash& leaf_hash,
                                   std::string_view origin, std::span<const NoteVerifier> log_keys);

}  // namespace tuidang::tlog
