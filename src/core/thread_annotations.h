// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html),
// as LevelDB's port/thread_annotations.h uses them: the clang build checks them with
// -Wthread-safety -Werror (CMakeLists.txt); other compilers see empty macros. A member
// that a lock protects says so with GUARDED_BY(mu_), a function that must be called with
// it held with REQUIRES(mu_), so a reader and the compiler see the same contract.
// The capability types themselves (Mutex, SharedMutex, MutexLock) are in core/mutex.h:
// libstdc++'s std::mutex carries no capability attribute, so it cannot be checked.
#pragma once

#if defined(__clang__)
#define TUIDANG_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TUIDANG_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are a capability (a lock), named `x` in warnings.
#define CAPABILITY(x) TUIDANG_THREAD_ANNOTATION(capability(x))
// On a class: an RAII object that holds a capability for its lifetime (MutexLock).
#define SCOPED_CAPABILITY TUIDANG_THREAD_ANNOTATION(scoped_lockable)

// On a member: reading it needs `x` held (shared or exclusive), writing it needs it exclusive.
#define GUARDED_BY(x) TUIDANG_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: what it points to is guarded by `x` (the pointer itself is not).
#define PT_GUARDED_BY(x) TUIDANG_THREAD_ANNOTATION(pt_guarded_by(x))

// Lock order: this lock is taken after / before the listed ones.
#define ACQUIRED_AFTER(...) TUIDANG_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) TUIDANG_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))

// On a function: the caller holds these (exclusive / shared) when calling it.
#define REQUIRES(...) TUIDANG_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) TUIDANG_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))

// On a function: it takes / gives back these (none listed: `this`).
#define ACQUIRE(...) TUIDANG_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) TUIDANG_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) TUIDANG_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) TUIDANG_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) TUIDANG_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))

// On a function: the caller must not hold these (it takes them itself; no self-deadlock).
#define EXCLUDES(...) TUIDANG_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// On a function: after it returns, the analysis takes `x` as held (checked at run time).
#define ASSERT_CAPABILITY(x) TUIDANG_THREAD_ANNOTATION(assert_capability(x))
// On a function: it returns a reference to the capability `x`.
#define RETURN_CAPABILITY(x) TUIDANG_THREAD_ANNOTATION(lock_returned(x))

// On a function: not checked. Only where the analysis cannot follow the locking, with a
// comment saying why the code is safe.
#define NO_THREAD_SAFETY_ANALYSIS TUIDANG_THREAD_ANNOTATION(no_thread_safety_analysis)
