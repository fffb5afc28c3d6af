#include "tlog/proof.h"

#include <fmt/format.h>

#include "tlog/decimal.h"

namespace tuidang::tlog {

namespace {

constexpr std::string_view kExtraPrefix = "extra ";
constexpr std::string_view kIndexPrefix = "index ";

// Takes the next line off `text` (without its newline); false if no complete line is left.
bool NextLine(std::string_view* text, std::string_view* line) {
  const size_t end = text->find('\n');
  if (end == std::string_view::npos) return false;
  *line = text->substr(0, end);
  text->remove_prefix(end + 1);
  return true;
}

Result<Checkpoint> CheckpointOf(std::string_view signed_note) {
  Result<Note> note = ParseNote(signed_note);
  if (!note) return Error{note.error()};
  return ParseCheckpoint(note->text);
}

}  // namespace

std::string FormatTlogProof(const TlogProof& proof) {
  std::string text(kTlogProofHeader);
  text.push_back('\n');
  if (proof.extra) text += fmt::format("{}{}\n", kExtraPrefix, Base64Encode(*proof.extra));
  text += fmt::format("{}{}\n", kIndexPrefix, proof.index);
  for (const Hash& hash : proof.inclusion) {
    text += HashToBase64(hash);
    text.push_back('\n');
  }
  text.push_back('\n');
  text += proof.checkpoint;
  return text;
}

Result<TlogProof> ParseTlogProof(std::string_view text) {
  TlogProof proof;
  std::string_view line;
  if (!NextLine(&text, &line) || line != kTlogProofHeader) {
    return Error{"tlog-proof: not a c2sp.org/tlog-proof@v1"};
  }
  if (!NextLine(&text, &line)) return Error{"tlog-proof: truncated"};
  if (line.starts_with(kExtraPrefix)) {
    Result<std::string> extra = Base64Decode(line.substr(kExtraPrefix.size()));
    if (!extra) return Error{"tlog-proof: bad extra data"};
    proof.extra = std::move(*extra);
    if (!NextLine(&text, &line)) return Error{"tlog-proof: truncated"};
  }
  if (!line.starts_with(kIndexPrefix) ||
      !ParseDecimal(line.substr(kIndexPrefix.size()), &proof.index)) {
    return Error{"tlog-proof: bad index line"};
  }
  while (true) {
    if (!NextLine(&text, &line)) return Error{"tlog-proof: no blank line before the checkpoint"};
    if (line.empty()) break;
    if (proof.inclusion.size() == kMaxInclusionProofSize) {
      return Error{"tlog-proof: too many proof hashes"};
    }
    Result<Hash> hash = HashFromBase64(line);
    if (!hash) return Error{"tlog-proof: bad proof hash"};
    proof.inclusion.push_back(*hash);
  }
  Result<Checkpoint> checkpoint = CheckpointOf(text);
  if (!checkpoint) return Error{"tlog-proof: " + checkpoint.error()};
  proof.checkpoint = std::string(text);
  return proof;
}

Result<TlogProof> MakeTlogProof(HashReader& reader, uint64_t index,
                                std::string_view signed_checkpoint,
                                std::optional<std::string> extra) {
  Result<Checkpoint> checkpoint = CheckpointOf(signed_checkpoint);
  if (!checkpoint) return Error{checkpoint.error()};
  Result<std::vector<Hash>> inclusion = InclusionProof(reader, index, checkpoint->size);
  if (!inclusion) return Error{inclusion.error()};
  Result<Hash> leaf_hash = reader.ReadHash(0, index);
  if (!leaf_hash) return Error{leaf_hash.error()};
  Status status =
      VerifyInclusion(*leaf_hash, index, checkpoint->size, *inclusion, checkpoint->root);
  if (!status) {
    return Error{fmt::format("tlog-proof: hashes do not match the checkpoint of size {}: {}",
                             checkpoint->size, status.message())};
  }
  TlogProof proof;
  proof.extra = std::move(extra);
  proof.index = index;
  proof.inclusion = std::move(*inclusion);
  proof.checkpoint = std::string(signed_checkpoint);
  return proof;
}

Result<Checkpoint> VerifyTlogProof(const TlogProof& proof, const Hash& leaf_hash,
                                   std::string_view origin,
                                   std::span<const NoteVerifier> log_keys) {
  Result<Checkpoint> checkpoint = OpenCheckpoint(proof.checkpoint, origin, log_keys);
  if (!checkpoint) return checkpoint;
  Status status =
      VerifyInclusion(leaf_hash, proof.index, checkpoint->size, proof.inclusion, checkpoint->root);
  if (!status) return Error{"tlog-proof: " + status.message()};
  return checkpoint;
}

}  // namespace tuidang::tlog
