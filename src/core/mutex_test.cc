#include "core/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace tuidang {
namespace {

// A value handed from one thread to another under the lock, as the sequencer's queue is.
class Mailbox {
 public:
  void Put(int v) EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      value_ = v;
    }
    cv_.Signal();
  }
  // The value, or -1 when none came before `deadline`.
  int Take(std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (value_ < 0) {
      if (!cv_.WaitUntil(&mu_, deadline)) break;
    }
    return value_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int value_ GUARDED_BY(mu_) = -1;
};

TEST(MutexTest, CondVarWakesTheWaiterWithTheLockHeld) {
  Mailbox box;
  std::thread sender([&] { box.Put(7); });
  EXPECT_EQ(box.Take(std::chrono::steady_clock::now() + std::chrono::seconds(30)), 7);
  sender.join();
}

TEST(MutexTest, WaitUntilGivesUpAtTheDeadline) {
  Mailbox box;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(box.Take(start + std::chrono::milliseconds(20)), -1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

TEST(MutexTest, MutexLockUnlocksAndRelocks) {
  Mutex mu;
  MutexLock lock(&mu);
  lock.Unlock();
  std::thread other([&] { MutexLock inner(&mu); });  // would deadlock if still held
  other.join();
  lock.Lock();
}

TEST(MutexTest, ReadersShareWritersExclude) {
  SharedMutex mu;
  {
    ReaderMutexLock a(&mu);
    bool second_reader = false;
    std::thread other([&] {
      ReaderMutexLock b(&mu);  // would block forever if readers excluded each other
      second_reader = true;
    });
    other.join();
    EXPECT_TRUE(second_reader);
  }
  WriterMutexLock w(&mu);
}

}  // namespace
}  // namespace tuidang
