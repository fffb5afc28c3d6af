// The log's parsers (src/tlog): tile paths, tiles, entry bundles, notes, checkpoints,
// proofs and verifier keys. The first byte picks the parser.
#include <string_view>

#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "tlog/proof.h"
#include "tlog/tile.h"

using namespace tuidang::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  int width = 1 + data[0] % 256;
  switch (data[0] % 7) {
    case 0: (void)ParseTilePath(in); break;
    case 1: (void)DecodeTile(in, width); break;
    case 2: (void)ParseEntryBundle(in, width); break;
    case 3: (void)ParseNote(in); break;
    case 4: (void)ParseCheckpoint(in); break;
    case 5: (void)ParseTlogProof(in); break;
    case 6:
      (void)NoteVerifier::Parse(in);
      (void)NoteSigner::Parse(in);
      break;
  }
  return 0;
}
