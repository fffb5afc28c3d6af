// SQLite's file system layer ("unix"), with the writes to the WAL gathered into one write
// per commit.
//
// Why: SQLite writes each WAL frame as two system calls (its 24-byte header, then the
// page), so a commit of 50 submissions was about 230 pwrite calls before its one sync:
// a quarter of the single writer thread's time under a surge (perf, docs/performance.md).
// Here the frames of a commit wait in memory and go to the file in one write just before
// SQLite syncs it (or reads it, asks its size, truncates or closes it), so what is on disk
// when the sync returns is exactly what SQLite wrote: durability is SQLite's own.
// Every other file (the database, its shared memory) is the unix VFS untouched.
#pragma once

#include <cstdint>

namespace tuidang::sqlite {

// Registers the layer as SQLite's default VFS. Idempotent and thread-safe; false if SQLite
// has no default VFS to wrap (the connections then use SQLite's as it is).
bool InstallWalWriteCombining();

// Writes SQLite asked for on WAL files, and writes made to the file system, since start.
struct WalWriteCounts {
  uint64_t asked = 0;
  uint64_t made = 0;
};
WalWriteCounts WalWriteCountsForTesting();

}  // namespace tuidang::sqlite
