#include "store/sqlite/sqlite_wal_vfs.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <vector>

#include <sqlite3.h>

namespace tuidang::sqlite {

namespace {

sqlite3_vfs* real_vfs = nullptr;  // SQLite's default VFS, wrapped
sqlite3_vfs vfs;                  // the wrapper
std::atomic<uint64_t> asked{0}, made{0};

// A commit's frames are flushed at its sync; a transaction too large for memory (an import
// spilling pages) is flushed every 4 MiB.
constexpr size_t kMaxPending = 4 << 20;
// The unix VFS writes at most 128 KiB - 1 bytes a call (it masks the length with 0x1ffff):
// the pending bytes go in pieces of 120 KiB, about four system calls for a commit of 50
// submissions instead of 230.
constexpr size_t kMaxWrite = 120 << 10;

// A WAL file: our methods in front, SQLite's file object for the same file behind.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  std::vector<char>* pending;  // bytes not yet written, to go at offset `start`
  sqlite3_int64 start;
};

WalFile* Of(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
const sqlite3_io_methods* Real(WalFile* w) { return w->real->pMethods; }

// Writes what is pending. On an error nothing stays pending: SQLite gets the error from the
// call that needed the write (a sync: the commit fails and is rolled back).
int Flush(WalFile* w) {
  if (w->pending->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < w->pending->size() && rc == SQLITE_OK; done += kMaxWrite) {
    made.fetch_add(1, std::memory_order_relaxed);
    size_t n = std::min(kMaxWrite, w->pending->size() - done);
    rc = Real(w)->xWrite(w->real, w->pending->data() + done, static_cast<int>(n),
                         w->start + static_cast<sqlite3_int64>(done));
  }
  w->pending->clear();
  return rc;
}

int Close(sqlite3_file* f) {
  WalFile* w = Of(f);
  int rc = Flush(w);
  int rc2 = Real(w)->xClose(w->real);
  delete w->pending;
  w->pending = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  WalFile* w = Of(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xRead(w->real, buf, n, offset);
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  WalFile* w = Of(f);
  asked.fetch_add(1, std::memory_order_relaxed);
  auto& p = *w->pending;
  if (!p.empty() && offset != w->start + static_cast<sqlite3_int64>(p.size())) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  if (p.empty()) w->start = offset;
  try {
    p.insert(p.end(), static_cast<const char*>(buf), static_cast<const char*>(buf) + n);
  } catch (const std::bad_alloc&) {
    p.clear();
    return SQLITE_IOERR_NOMEM;
  }
  return p.size() >= kMaxPending ? Flush(w) : SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalFile* w = Of(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xTruncate(w->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  WalFile* w = Of(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xSync(w->real, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  WalFile* w = Of(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xFileSize(w->real, size);
}

int Lock(sqlite3_file* f, int level) { return Real(Of(f))->xLock(Of(f)->real, level); }
int Unlock(sqlite3_file* f, int level) { return Real(Of(f))->xUnlock(Of(f)->real, level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(Of(f))->xCheckReservedLock(Of(f)->real, out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  WalFile* w = Of(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xFileControl(w->real, op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(Of(f))->xSectorSize(Of(f)->real); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(Of(f))->xDeviceCharacteristics(Of(f)->real);
}
// A WAL file has no shared memory and is not memory-mapped; forwarded all the same.
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(Of(f))->xShmMap(Of(f)->real, page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(Of(f))->xShmLock(Of(f)->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(Of(f))->xShmBarrier(Of(f)->real); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(Of(f))->xShmUnmap(Of(f)->real, del); }
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  WalFile* w = Of(f);
  *out = nullptr;
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return Real(w)->xFetch(w->real, offset, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return Real(Of(f))->xUnfetch(Of(f)->real, offset, p);
}

const sqlite3_io_methods kWalMethods = {3,
                                        Close,
                                        Read,
                                        Write,
                                        Truncate,
                                        Sync,
                                        FileSize,
                                        Lock,
                                        Unlock,
                                        CheckReservedLock,
                                        FileControl,
                                        SectorSize,
                                        DeviceCharacteristics,
                                        ShmMap,
                                        ShmLock,
                                        ShmBarrier,
                                        ShmUnmap,
                                        Fetch,
                                        Unfetch};

// The real file object lives after ours, aligned as SQLite's own allocations are.
constexpr size_t kRealOffset = (sizeof(WalFile) + 15) & ~size_t{15};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) {
    // Not a WAL: the unix VFS's own file object, in the (larger) space given to us.
    return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
  }
  WalFile* w = Of(f);
  std::memset(w, 0, sizeof(WalFile));
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  int rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK || !w->real->pMethods) {
    // SQLite closes a file whose pMethods is set even when xOpen failed: leave it unset.
    if (w->real->pMethods) w->real->pMethods->xClose(w->real);
    w->base.pMethods = nullptr;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  w->pending = new (std::nothrow) std::vector<char>();
  if (!w->pending) {
    w->real->pMethods->xClose(w->real);
    w->base.pMethods = nullptr;
    return SQLITE_NOMEM;
  }
  w->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest of the VFS is the unix one's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void DlError(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return real_vfs->xDlSym(real_vfs, h, sym);
}
void DlClose(sqlite3_vfs*, void* h) { real_vfs->xDlClose(real_vfs, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int Sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
int SetSystemCall(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
  return real_vfs->xSetSystemCall(real_vfs, name, p);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xGetSystemCall(real_vfs, name);
}
const char* NextSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xNextSystemCall(real_vfs, name);
}

}  // namespace

bool InstallWalWriteCombining() {
  static const bool installed = [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    if (!real_vfs || real_vfs->iVersion < 3) return false;
    vfs = *real_vfs;
    vfs.szOsFile = static_cast<int>(kRealOffset) + real_vfs->szOsFile;
    vfs.pNext = nullptr;
    vfs.zName = "tuidang";
    vfs.pAppData = nullptr;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    vfs.xSetSystemCall = SetSystemCall;
    vfs.xGetSystemCall = GetSystemCall;
    vfs.xNextSystemCall = NextSystemCall;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/1) == SQLITE_OK;
  }();
  return installed;
}

WalWriteCounts WalWriteCountsForTesting() { return {asked.load(), made.load()}; }

}  // namespace tuidang::sqlite
